/**
 * Login rate limits: failed password or TOTP attempts are counted per account and per client IP
 * over 15 minutes; past ctx.config.login.maxFailures, further attempts are refused (429) without
 * checking the credentials, so guessing is bounded whichever of the two an attacker varies.
 *
 * Refusals are audited once per limited key (account or IP) and window, not once per request: the
 * audit log is append-only and hash-chained, so a flood against a locked account or address must
 * not cost a row each. Every attempt whose credentials are checked is still audited (steps/*.ts).
 */
import type { ServerContext } from '../context.ts';
import { RateLimiter } from '../http/rate-limit.ts';

const WINDOW_SECONDS = 15 * 60;
/** Bound on the keys whose refusal is remembered as audited; past it the oldest are forgotten (at worst audited again). */
const MAX_AUDITED_REFUSALS = 100_000;

/** An attempt refused before its credentials are checked. */
export interface LoginRefusal {
  /** Seconds until another attempt is allowed (RFC 6585 §4 Retry-After). */
  retryAfter: number;
  /** True for the first refusal of a limited key's window: the one to audit. */
  audit: boolean;
}

export class LoginThrottle {
  private readonly byAccount: RateLimiter;
  private readonly byIp: RateLimiter;
  /** Limited key → end of the window whose refusal is already audited (the end identifies the window). */
  private readonly auditedUntil = new Map<string, number>();

  constructor(private readonly ctx: ServerContext) {
    this.byAccount = new RateLimiter(ctx.config.login.maxFailures, WINDOW_SECONDS);
    this.byIp = new RateLimiter(ctx.config.login.maxFailures, WINDOW_SECONDS);
  }

  /** Seconds until another attempt is allowed; 0 when allowed now. */
  retryAfter(account: string, ip: string | null): number {
    return this.refusal(account, ip, false)?.retryAfter ?? 0;
  }

  /**
   * The check before any credential is looked at: null when the attempt may go ahead. A refusal
   * says whether to audit it, and notes that it was (`audit` is true once per key and window).
   */
  refuse(account: string, ip: string | null): LoginRefusal | null {
    return this.refusal(account, ip, true);
  }

  failed(account: string, ip: string | null): void {
    const now = this.ctx.now();
    this.byAccount.hit(accountKey(account), now);
    if (ip !== null) this.byIp.hit(ip, now);
  }

  /** A complete login clears the account's count (not the IP's: one good account must not unlock guessing at others). */
  succeeded(account: string): void {
    this.byAccount.reset(accountKey(account));
    this.auditedUntil.delete(`account:${accountKey(account)}`);
  }

  private refusal(account: string, ip: string | null, note: boolean): LoginRefusal | null {
    const now = this.ctx.now();
    const limited = this.limitedKeys(account, ip, now);
    if (limited.length === 0) return null;
    let audit = false;
    for (const { key, until } of limited) {
      if (this.auditedUntil.get(key) === until) continue;
      audit = true;
      if (note) this.noteAudited(key, until, now);
    }
    return { retryAfter: Math.max(...limited.map((l) => l.until)) - now, audit };
  }

  /** The keys over their limit, each with the end of its current window (epoch seconds). */
  private limitedKeys(account: string, ip: string | null, now: number): { key: string; until: number }[] {
    const limited: { key: string; until: number }[] = [];
    const accountWait = this.byAccount.blocked(accountKey(account), now);
    if (accountWait > 0) limited.push({ key: `account:${accountKey(account)}`, until: now + accountWait });
    const ipWait = ip === null ? 0 : this.byIp.blocked(ip, now);
    if (ipWait > 0) limited.push({ key: `ip:${ip}`, until: now + ipWait });
    return limited;
  }

  private noteAudited(key: string, until: number, now: number): void {
    this.auditedUntil.delete(key); // re-inserted last: the map's order is the age of its entries
    this.auditedUntil.set(key, until);
    if (this.auditedUntil.size <= MAX_AUDITED_REFUSALS) return;
    for (const [k, end] of this.auditedUntil) if (end <= now) this.auditedUntil.delete(k);
    for (const k of this.auditedUntil.keys()) {
      if (this.auditedUntil.size <= MAX_AUDITED_REFUSALS) break;
      this.auditedUntil.delete(k);
    }
  }
}

function accountKey(email: string): string {
  return email.trim().toLowerCase();
}
