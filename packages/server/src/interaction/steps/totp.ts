/**
 * POST /interaction/:id/totp — the second factor. Only reachable with the pending-login cookie of
 * this interaction (password already proven); failures count against the account and the IP like
 * password failures, and a code that already worked is refused (RFC 6238 §5.2).
 */
import type { Context } from 'hono';
import type { ServerContext } from '../../context.ts';
import { clientIp } from '../../http/client-ip.ts';
import type { Params } from '../../http/params.ts';
import type { UserRecord } from '../../storage/records.ts';
import { auditLoginFailure } from '../audit.ts';
import type { LoadedInteraction } from '../load.ts';
import { clearPendingLogin, readPendingLogin } from '../pending-login.ts';
import { seeOther } from '../respond.ts';
import type { LoginThrottle } from '../throttle.ts';
import { type TotpResult, verifyTotp } from '../totp.ts';
import { interactionUrl } from '../urls.ts';
import { completeLogin } from './login.ts';
import { refuseThrottled } from './rate-limited.ts';

/**
 * The checks shared by the code step and the enrolment step, after the caller found the pending
 * login's account: the throttle, then `verify` (null: what it needed is gone, `?error=expired`).
 * Returns the response to send, or null when the code is valid; a wrong or reused code counts
 * against the account and the IP like a wrong password.
 */
export async function checkTotpCode(
  c: Context,
  ctx: ServerContext,
  throttle: LoginThrottle,
  loaded: LoadedInteraction,
  user: UserRecord,
  verify: () => Promise<TotpResult | null>,
): Promise<Response | null> {
  const ip = clientIp(c);
  const refused = await refuseThrottled(c, ctx, throttle, { account: user.email, ip, userId: user.id, clientId: loaded.request.clientId });
  if (refused) return refused;

  const result = await verify();
  if (result === null) return expiredLogin(c, ctx, loaded);
  if (result !== 'valid') {
    throttle.failed(user.email, ip);
    await auditLoginFailure(ctx, { userId: user.id, clientId: loaded.request.clientId, ip, reason: result === 'replayed' ? 'totp_replayed' : 'invalid_totp' });
    return seeOther(c, `${interactionUrl(ctx, loaded.record.id)}?error=${result === 'replayed' ? 'totp_reused' : 'totp'}`);
  }
  return null;
}

/** The pending login is gone or no longer usable: forget it and start the interaction over. */
export function expiredLogin(c: Context, ctx: ServerContext, loaded: LoadedInteraction): Response {
  clearPendingLogin(c, ctx);
  return seeOther(c, `${interactionUrl(ctx, loaded.record.id)}?error=expired`);
}

/** The code as typed, without the spaces authenticator apps show in it. */
export function submittedTotpCode(form: Params): string {
  return (form.get('totp') ?? '').replace(/\s/g, '');
}

export async function postTotp(c: Context, ctx: ServerContext, throttle: LoginThrottle, loaded: LoadedInteraction, form: Params): Promise<Response> {
  const pending = await readPendingLogin(c, ctx, loaded.record.id);
  const user = pending ? await ctx.storage.users.get(pending.userId) : null;
  if (!user || user.disabled) return expiredLogin(c, ctx, loaded);
  const refused = await checkTotpCode(c, ctx, throttle, loaded, user, () => verifyTotp(ctx, user, submittedTotpCode(form)));
  return refused ?? completeLogin(c, ctx, throttle, loaded, user, ['pwd', 'otp']);
}
