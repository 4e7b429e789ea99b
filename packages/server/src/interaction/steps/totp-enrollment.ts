/**
 * POST /interaction/:id/totp-enrollment — the first code of a TOTP secret set up during login
 * (HU-1, totp-enrollment.ts). Reachable only with the pending-login cookie of this interaction
 * (password already proven) and the enrolment pending for exactly that login. Failures count
 * against the account and the IP like TOTP failures and a used code is refused (RFC 6238 §5.2).
 * Only a valid code stores the secret on the account and completes the login with `pwd` + `otp`.
 */
import type { Context } from 'hono';
import type { ServerContext } from '../../context.ts';
import { clientIp } from '../../http/client-ip.ts';
import type { Params } from '../../http/params.ts';
import { auditLoginFailure, auditTotpEnrollment } from '../audit.ts';
import type { LoadedInteraction } from '../load.ts';
import { clearPendingLogin, readPendingLogin } from '../pending-login.ts';
import { seeOther } from '../respond.ts';
import type { LoginThrottle } from '../throttle.ts';
import { finishEnrollment, readEnrollment } from '../totp-enrollment.ts';
import { hasTotp, verifyTotpSecret } from '../totp.ts';
import { interactionUrl } from '../urls.ts';
import { completeLogin } from './login.ts';
import { rateLimited } from './rate-limited.ts';

export async function postTotpEnrollment(c: Context, ctx: ServerContext, throttle: LoginThrottle, loaded: LoadedInteraction, form: Params): Promise<Response> {
  const id = loaded.record.id;
  const ip = clientIp(c);
  const expired = () => {
    clearPendingLogin(c, ctx);
    return seeOther(c, `${interactionUrl(ctx, id)}?error=expired`);
  };
  const pending = await readPendingLogin(c, ctx, id);
  const user = pending ? await ctx.storage.users.get(pending.userId) : null;
  if (!pending || !user || user.disabled) return expired();
  // Enrolled meanwhile (another tab, the admin API): the page now asks for a code of that secret.
  if (hasTotp(user)) return seeOther(c, interactionUrl(ctx, id));

  const wait = throttle.retryAfter(user.email, ip);
  if (wait > 0) {
    await auditLoginFailure(ctx, { userId: user.id, clientId: loaded.request.clientId, ip, reason: 'rate_limited' });
    return rateLimited(c, wait);
  }

  const enrollment = await readEnrollment(ctx, id, pending, user.email);
  if (!enrollment) return expired();
  const result = await verifyTotpSecret(ctx, user.id, enrollment.secret, (form.get('totp') ?? '').replace(/\s/g, ''));
  if (result !== 'valid') {
    throttle.failed(user.email, ip);
    await auditLoginFailure(ctx, { userId: user.id, clientId: loaded.request.clientId, ip, reason: result === 'replayed' ? 'totp_replayed' : 'invalid_totp' });
    return seeOther(c, `${interactionUrl(ctx, id)}?error=${result === 'replayed' ? 'totp_reused' : 'totp'}`);
  }

  if (!(await finishEnrollment(ctx, id, pending))) return expired();
  // Re-read so a concurrent change to the account is neither lost nor overwritten by a second secret.
  const current = await ctx.storage.users.get(user.id);
  if (!current || current.disabled) return expired();
  if (hasTotp(current)) return seeOther(c, interactionUrl(ctx, id));
  const enrolled = { ...current, totpSecretEncrypted: await ctx.envelope.encrypt(enrollment.secret, 'totp'), updatedAt: ctx.now() };
  if (!(await ctx.storage.users.update(enrolled))) return expired();
  await auditTotpEnrollment(ctx, { userId: user.id, clientId: loaded.request.clientId, ip });
  return completeLogin(c, ctx, throttle, loaded, enrolled, ['pwd', 'otp']);
}
