/**
 * POST /interaction/:id/login — the password step (HU-1). Unknown accounts are verified against a
 * dummy hash so the response time does not reveal which emails exist; the answer is the same for
 * every failure. A password never signs in alone: users with TOTP continue to the code step, users
 * with only a passkey to the passkey step, users without a second factor to TOTP enrolment
 * (totp-enrollment.ts); the session is only created once every factor is proven.
 */
import type { Context } from 'hono';
import type { ServerContext } from '../../context.ts';
import { dummyPasswordHash, verifyPassword } from '../../crypto/password.ts';
import { QueueFullError } from '../../crypto/pool-limit.ts';
import { clientIp } from '../../http/client-ip.ts';
import type { Params } from '../../http/params.ts';
import type { UserRecord } from '../../storage/records.ts';
import { auditLoginFailure, auditLoginSuccess, type LoginFailureReason } from '../audit.ts';
import type { LoadedInteraction } from '../load.ts';
import { clearPendingLogin, setPendingLogin } from '../pending-login.ts';
import { seeOther } from '../respond.ts';
import { startSession } from '../session.ts';
import type { LoginThrottle } from '../throttle.ts';
import { hasTotp } from '../totp.ts';
import { interactionUrl } from '../urls.ts';
import { refuseThrottled, serverBusy } from './rate-limited.ts';

function failureReason(user: UserRecord | null, passwordOk: boolean): LoginFailureReason | null {
  if (!user) return 'unknown_account';
  if (!user.passwordHash) return 'no_password';
  if (user.disabled) return 'account_disabled';
  return passwordOk ? null : 'invalid_password';
}

export async function postLogin(c: Context, ctx: ServerContext, throttle: LoginThrottle, loaded: LoadedInteraction, form: Params): Promise<Response> {
  const id = loaded.record.id;
  const email = (form.get('email') ?? '').trim().slice(0, 320);
  const password = form.get('password') ?? '';
  const ip = clientIp(c);

  const userIdOf = async () => (email === '' ? null : ((await ctx.storage.users.getByEmail(email))?.id ?? null));
  const refused = await refuseThrottled(c, ctx, throttle, { account: email, ip, userId: null, userIdOf, clientId: loaded.request.clientId });
  if (refused) return refused;

  const user = email === '' ? null : await ctx.storage.users.getByEmail(email);
  let passwordOk: boolean;
  try {
    passwordOk = await verifyPassword(password, user?.passwordHash ?? (await dummyPasswordHash()));
  } catch (err) {
    if (!(err instanceof QueueFullError)) throw err;
    // Too many password checks waiting (a flood): nothing was checked, so no failure is counted.
    // Audited once per source IP and minute, at most 16 sources a minute (audit-once.ts): a flood must not cost an audit row per request.
    if (throttle.auditBusy(ip)) await auditLoginFailure(ctx, { userId: null, clientId: loaded.request.clientId, ip, reason: 'server_busy' });
    return serverBusy(c);
  }
  const reason = failureReason(user, passwordOk);
  if (reason !== null || !user) {
    throttle.failed(email, ip);
    await auditLoginFailure(ctx, { userId: user?.id ?? null, clientId: loaded.request.clientId, ip, reason: reason ?? 'unknown_account' });
    return seeOther(c, `${interactionUrl(ctx, id)}?error=credentials`);
  }
  // An account protected by a passkey and no TOTP signs in with the passkey: a phished password
  // must not be able to add a second factor of the attacker's choosing to it.
  if (!hasTotp(user) && (await ctx.storage.passkeys.listForUser(user.id)).length > 0) {
    return seeOther(c, `${interactionUrl(ctx, id, 'passkey')}?error=passkey_required`);
  }
  // The page then asks for the code, or for setting up TOTP when there is none (steps/show.ts).
  await setPendingLogin(c, ctx, id, user.id);
  return seeOther(c, interactionUrl(ctx, id));
}

/** What an upstream (SSO) login adds to or changes in completeLogin. */
export interface LoginCompletionOptions {
  /** The session's acr when not derived from amr (an upstream acr mapped by configuration). */
  acr?: string;
  /** Extra non-secret fields of the success audit event, next to acr and amr. */
  auditData?: Record<string, unknown>;
}

/**
 * Every factor proven: a new session (RFC 8176 amr), bound to this interaction. `throttle` is null
 * when the login never went through it (SSO), so there are no local failures to forget.
 */
export async function completeLogin(
  c: Context,
  ctx: ServerContext,
  throttle: LoginThrottle | null,
  loaded: LoadedInteraction,
  user: UserRecord,
  amr: string[],
  options: LoginCompletionOptions = {},
): Promise<Response> {
  const session = await startSession(c, ctx, user, amr, options.acr);
  await ctx.storage.interactions.setSession(loaded.record.id, session.idHash);
  clearPendingLogin(c, ctx);
  throttle?.succeeded(user.email);
  await auditLoginSuccess(ctx, { userId: user.id, clientId: loaded.request.clientId, ip: clientIp(c), acr: session.acr, amr, ...(options.auditData ? { data: options.auditData } : {}) });
  return seeOther(c, interactionUrl(ctx, loaded.record.id));
}
