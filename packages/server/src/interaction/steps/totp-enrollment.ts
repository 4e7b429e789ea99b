/**
 * POST /interaction/:id/totp-enrollment — the first code of a TOTP secret set up during login
 * (HU-1, totp-enrollment.ts). Reachable only with the pending-login cookie of this interaction
 * (password already proven) and the enrolment pending for exactly that login. Failures count
 * against the account and the IP like TOTP failures and a used code is refused (RFC 6238 §5.2).
 * Only a valid code stores the secret on the account and completes the login with `pwd` + `otp`.
 * The code is checked against the secret the page showed (its id in the form): when that one was
 * replaced since, the user is told so and shown the current one rather than told the code is wrong.
 */
import type { Context } from 'hono';
import type { ServerContext } from '../../context.ts';
import { constantTimeEqual } from '../../crypto/hash.ts';
import { clientIp } from '../../http/client-ip.ts';
import type { Params } from '../../http/params.ts';
import { auditTotpEnrollment } from '../audit.ts';
import type { LoadedInteraction } from '../load.ts';
import { readPendingLogin } from '../pending-login.ts';
import { seeOther } from '../respond.ts';
import type { LoginThrottle } from '../throttle.ts';
import { finishEnrollment, readEnrollment } from '../totp-enrollment.ts';
import { hasTotp, verifyTotpSecret } from '../totp.ts';
import { interactionUrl } from '../urls.ts';
import { completeLogin } from './login.ts';
import { checkTotpCode, expiredLogin, submittedTotpCode } from './totp.ts';

export async function postTotpEnrollment(c: Context, ctx: ServerContext, throttle: LoginThrottle, loaded: LoadedInteraction, form: Params): Promise<Response> {
  const id = loaded.record.id;
  const pending = await readPendingLogin(c, ctx, id);
  const user = pending ? await ctx.storage.users.get(pending.userId) : null;
  if (!pending || !user || user.disabled) return expiredLogin(c, ctx, loaded);
  // Enrolled meanwhile (another tab, the admin API): the page now asks for a code of that secret.
  if (hasTotp(user)) return seeOther(c, interactionUrl(ctx, id));

  const enrollment = await readEnrollment(ctx, id, pending, user.email);
  // Before the throttle: the page of this login shows the current id anyway, so this tells a
  // throttled browser nothing, and no code was checked, so it is no failure.
  if (enrollment && !constantTimeEqual(enrollment.id, form.get('enrollment') ?? '')) return seeOther(c, `${interactionUrl(ctx, id)}?error=totp_key_replaced`);
  // A missing enrolment is reported after the throttle check, so a throttled request learns nothing of it.
  const refused = await checkTotpCode(c, ctx, throttle, loaded, user, async () =>
    enrollment ? verifyTotpSecret(ctx, user.id, enrollment.secret, submittedTotpCode(form)) : null,
  );
  if (refused) return refused;
  if (!enrollment || !(await finishEnrollment(ctx, id, pending, enrollment))) return expiredLogin(c, ctx, loaded);
  // Re-read so a concurrent change to the account is neither lost nor overwritten by a second secret.
  const current = await ctx.storage.users.get(user.id);
  if (!current || current.disabled) return expiredLogin(c, ctx, loaded);
  if (hasTotp(current)) return seeOther(c, interactionUrl(ctx, id));
  const enrolled = { ...current, totpSecretEncrypted: await ctx.envelope.encrypt(enrollment.secret, 'totp'), updatedAt: ctx.now() };
  if (!(await ctx.storage.users.update(enrolled))) return expiredLogin(c, ctx, loaded);
  await auditTotpEnrollment(ctx, { userId: user.id, clientId: loaded.request.clientId, ip: clientIp(c) });
  return completeLogin(c, ctx, throttle, loaded, enrolled, ['pwd', 'otp']);
}
