/**
 * Login rate limits: failed password or TOTP attempts are counted per account and per client IP
 * over 15 minutes; past ctx.config.login.maxFailures, further attempts are refused (429) without
 * checking the credentials, so guessing is bounded whichever of the two an attacker varies.
 */
import type { ServerContext } from '../context.ts';
import { RateLimiter } from '../http/rate-limit.ts';

const WINDOW_SECONDS = 15 * 60;

export class LoginThrottle {
  private readonly byAccount: RateLimiter;
  private readonly byIp: RateLimiter;

  constructor(private readonly ctx: ServerContext) {
    this.byAccount = new RateLimiter(ctx.config.login.maxFailures, WINDOW_SECONDS);
    this.byIp = new RateLimiter(ctx.config.login.maxFailures, WINDOW_SECONDS);
  }

  /** Seconds until another attempt is allowed; 0 when allowed now. */
  retryAfter(account: string, ip: string | null): number {
    const now = this.ctx.now();
    return Math.max(this.byAccount.blocked(accountKey(account), now), ip === null ? 0 : this.byIp.blocked(ip, now));
  }

  failed(account: string, ip: string | null): void {
    const now = this.ctx.now();
    this.byAccount.hit(accountKey(account), now);
    if (ip !== null) this.byIp.hit(ip, now);
  }

  /** A complete login clears the account's count (not the IP's: one good account must not unlock guessing at others). */
  succeeded(account: string): void {
    this.byAccount.reset(accountKey(account));
  }
}

function accountKey(email: string): string {
  return email.trim().toLowerCase();
}
