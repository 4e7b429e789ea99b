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
import { inTransaction } from '../../grants/shared/commit.ts';
import type { UserRecord } from '../../storage/records.ts';
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
  const secretEncrypted = await ctx.envelope.encrypt(enrollment.secret, 'totp');
  // The user row is written whole (storage users.update): read it locked, in the transaction that
  // writes it, so a concurrent change to the account (an administrator's disable, a SCIM update)
  // is neither lost nor overwritten, and a second secret never replaces the first.
  const outcome = await inTransaction(ctx, async (tx): Promise<{ enrolled: UserRecord } | 'expired' | 'enrolled-meanwhile'> => {
    const current = await tx.storage.users.getForUpdate(user.id);
    if (!current || current.disabled) return 'expired';
    if (hasTotp(current)) return 'enrolled-meanwhile';
    const enrolled = { ...current, totpSecretEncrypted: secretEncrypted, updatedAt: tx.now() };
    if (!(await tx.storage.users.update(enrolled))) return 'expired';
    await auditTotpEnrollment(tx, { userId: user.id, clientId: loaded.request.clientId, ip: clientIp(c) });
    return { enrolled };
  });
  if (outcome === 'expired') return expiredLogin(c, ctx, loaded);
  if (outcome === 'enrolled-meanwhile') return seeOther(c, interactionUrl(ctx, id));
  return completeLogin(c, ctx, throttle, loaded, outcome.enrolled, ['pwd', 'otp']);
}
