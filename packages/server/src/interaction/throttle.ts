/**
 * Login rate limits: failed password or TOTP attempts are counted per account and per client
 * address (IPv6 per /64 prefix, http/rate-limit-key.ts)
 * over 15 minutes; past ctx.config.login.maxFailures, further attempts are refused (429) without
 * checking the credentials, so guessing is bounded whichever of the two an attacker varies.
 *
 * Refusals are audited once per limited key (account or IP), source IP and window, at most 16
 * sources per key and window (audit-once.ts), not once per request: the audit log is append-only
 * and hash-chained, so a flood against a locked account or address must not cost a row each, and
 * one source must not silence another's. Every attempt whose credentials are checked is still
 * audited (steps/*.ts).
 */
import type { ServerContext } from '../context.ts';
import { RateLimiter } from '../http/rate-limit.ts';
import { AuditOnce } from './audit-once.ts';
import { rateLimitKey } from '../http/rate-limit-key.ts';

const WINDOW_SECONDS = 15 * 60;
/** Refusals for lack of capacity (server_busy) are audited once per source IP per this many seconds, at most 16 sources per window (audit-once.ts). */
const BUSY_WINDOW_SECONDS = 60;

/** What was over its limit, and until when (epoch seconds: the end identifies the window). */
export interface LimitedKey {
  kind: 'account' | 'ip';
  key: string;
  until: number;
}

/** An attempt refused before its credentials are checked. */
export interface LoginRefusal {
  /** Seconds until another attempt is allowed (RFC 6585 §4 Retry-After). */
  retryAfter: number;
  limited: LimitedKey[];
  /** The source IP of the refused attempt. */
  ip: string | null;
  /** True when this refusal is to be audited (audit-once.ts); then call `audited` once written. */
  audit: boolean;
}

export class LoginThrottle {
  private readonly byAccount: RateLimiter;
  private readonly byIp: RateLimiter;
  private readonly refusals = new AuditOnce();
  private readonly busy = new AuditOnce();

  constructor(private readonly ctx: ServerContext) {
    this.byAccount = new RateLimiter(ctx.config.login.maxFailures, WINDOW_SECONDS);
    this.byIp = new RateLimiter(ctx.config.login.maxFailures, WINDOW_SECONDS);
  }

  /** Seconds until another attempt is allowed; 0 when allowed now. */
  retryAfter(account: string, ip: string | null): number {
    return this.refuse(account, ip)?.retryAfter ?? 0;
  }

  /** The check before any credential is looked at: null when the attempt may go ahead. Notes nothing. */
  refuse(account: string, ip: string | null): LoginRefusal | null {
    const now = this.ctx.now();
    const limited = this.limitedKeys(account, ip, now);
    if (limited.length === 0) return null;
    const audit = limited.some((l) => this.refusals.due(l.key, ip, l.until));
    return { retryAfter: Math.max(...limited.map((l) => l.until)) - now, limited, ip, audit };
  }

  /** The refusal's audit row is written: later refusals of the same keys from the same source in the window are not audited. */
  audited(refusal: LoginRefusal): void {
    for (const l of refusal.limited) this.refusals.done(l.key, refusal.ip, l.until);
  }

  /** Whether a refusal for lack of capacity from `ip` is to be audited (once per IP and minute, at most 16 IPs a minute); notes it. */
  auditBusy(ip: string | null): boolean {
    const now = this.ctx.now();
    const until = now - (now % BUSY_WINDOW_SECONDS) + BUSY_WINDOW_SECONDS;
    if (!this.busy.due('busy', ip, until)) return false;
    this.busy.done('busy', ip, until);
    return true;
  }

  failed(account: string, ip: string | null): void {
    const now = this.ctx.now();
    this.byAccount.hit(accountKey(account), now);
    if (ip !== null) this.byIp.hit(rateLimitKey(ip), now); // IPv6 per /64 (http/rate-limit-key.ts)
  }

  /** A complete login clears the account's count (not the IP's: one good account must not unlock guessing at others). */
  succeeded(account: string): void {
    this.byAccount.reset(accountKey(account));
    this.refusals.forget(`account:${accountKey(account)}`); // a later lock-out is audited afresh
  }

  /** The keys over their limit, each with the end of its current window (epoch seconds). */
  private limitedKeys(account: string, ip: string | null, now: number): LimitedKey[] {
    const limited: LimitedKey[] = [];
    const accountWait = this.byAccount.blocked(accountKey(account), now);
    if (accountWait > 0) limited.push({ kind: 'account', key: `account:${accountKey(account)}`, until: now + accountWait });
    const address = ip === null ? null : rateLimitKey(ip);
    const ipWait = address === null ? 0 : this.byIp.blocked(address, now);
    if (ipWait > 0) limited.push({ kind: 'ip', key: `ip:${address}`, until: now + ipWait });
    return limited;
  }
}

function accountKey(email: string): string {
  return email.trim().toLowerCase();
}
