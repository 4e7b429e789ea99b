import type { Context } from 'hono';
import type { ServerContext } from '../../context.ts';
import { auditLoginFailure } from '../audit.ts';
import { errorPage } from '../pages/error.ts';
import { sendPage } from '../respond.ts';
import type { LoginThrottle } from '../throttle.ts';

/**
 * The throttle's check before any credential is looked at: null when the attempt may go ahead,
 * else the 429. A refusal is audited once per limited key, source IP and window (throttle.ts,
 * audit-once.ts), naming what was limited; the rest of a flood writes no audit rows. `userIdOf`
 * finds the account's user when the caller has not looked it up (read only for a row to write).
 */
export async function refuseThrottled(
  c: Context,
  ctx: ServerContext,
  throttle: LoginThrottle,
  attempt: { account: string; ip: string | null; userId: string | null; userIdOf?: () => Promise<string | null>; clientId: string },
): Promise<Response | null> {
  const refusal = throttle.refuse(attempt.account, attempt.ip);
  if (refusal === null) return null;
  if (refusal.audit) {
    const userId = attempt.userId ?? (refusal.limited.some((l) => l.kind === 'account') && attempt.userIdOf ? await attempt.userIdOf() : null);
    const data = { limited: refusal.limited.map((l) => l.kind), retry_after: refusal.retryAfter };
    await auditLoginFailure(ctx, { userId, clientId: attempt.clientId, ip: attempt.ip, reason: 'rate_limited', data });
    throttle.audited(refusal); // only once written: a failed write leaves the next refusal to audit
  }
  return rateLimited(c, refusal.retryAfter);
}

/** RFC 6585 §4: 429 with Retry-After; the form is not processed, so there is nothing to redirect to. */
export function rateLimited(c: Context, retryAfterSeconds: number): Response {
  const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
  return sendPage(
    c,
    errorPage({
      title: 'Too many attempts',
      message: `Too many failed sign-in attempts. For your security, try again in about ${minutes} minute${minutes === 1 ? '' : 's'}.`,
    }),
    { status: 429, headers: { 'Retry-After': String(retryAfterSeconds) } },
  );
}

/** RFC 9110 §15.6.4: 503 with Retry-After while the server sheds a flood of sign-ins (crypto/password.ts). */
export function serverBusy(c: Context): Response {
  return sendPage(
    c,
    errorPage({ title: 'Busy', message: 'The server is handling too many sign-ins at the moment. Please try again in a few seconds.' }),
    { status: 503, headers: { 'Retry-After': '2' } },
  );
}
