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
 * audited (steps/*.ts). An IPv6 source is one /64 there too, or 16 addresses of one subscriber
 * would use up a key's audited sources and silence the account owner's refusals.
 *
 * The counters' memory is bounded (http/rate-limit.ts: the oldest windows go first when full).
 * Accounts are keys typed by whoever calls, so each is counted under a fixed-size digest of what
 * was typed. Counting only existing accounts would bound them better but would answer 429 to
 * a known account and "wrong credentials" to an unknown one after maxFailures tries: an oracle of
 * which emails have accounts. So every account typed is counted, and flushing a lockout means
 * making ACCOUNT_KEYS fresh keys within the window, each a failure counted against its address.
 */
import type { ServerContext } from '../context.ts';
import { sha256 } from '../crypto/hash.ts';
import { RateLimiter } from '../http/rate-limit.ts';
import { AuditOnce } from './audit-once.ts';
import { rateLimitKey } from '../http/rate-limit-key.ts';

const WINDOW_SECONDS = 15 * 60;
/** Refusals for lack of capacity (server_busy) are audited once per source IP per this many seconds, at most 16 sources per window (audit-once.ts). */
const BUSY_WINDOW_SECONDS = 60;
/** Accounts counted at once: about 25 MB when full (digest keys); flushing one takes as many failures in a window. */
export const ACCOUNT_KEYS = 200_000;
/** Addresses (IPv4, IPv6 /64) counted at once. */
const ADDRESS_KEYS = 100_000;

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
    this.byAccount = new RateLimiter(ctx.config.login.maxFailures, WINDOW_SECONDS, ACCOUNT_KEYS);
    this.byIp = new RateLimiter(ctx.config.login.maxFailures, WINDOW_SECONDS, ADDRESS_KEYS);
  }

  /** The check before any credential is looked at: null when the attempt may go ahead. Notes nothing. */
  refuse(account: string, ip: string | null): LoginRefusal | null {
    const now = this.ctx.now();
    const limited = this.limitedKeys(account, ip, now);
    if (limited.length === 0) return null;
    const source = auditSource(ip);
    const audit = limited.some((l) => this.refusals.due(l.key, source, l.until));
    return { retryAfter: Math.max(...limited.map((l) => l.until)) - now, limited, ip, audit };
  }

  /** The refusal's audit row is written: later refusals of the same keys from the same source in the window are not audited. */
  audited(refusal: LoginRefusal): void {
    const source = auditSource(refusal.ip);
    for (const l of refusal.limited) this.refusals.done(l.key, source, l.until);
  }

  /** Whether a refusal for lack of capacity from `ip` is to be audited (once per IP and minute, at most 16 IPs a minute); notes it. */
  auditBusy(ip: string | null): boolean {
    const now = this.ctx.now();
    const until = now - (now % BUSY_WINDOW_SECONDS) + BUSY_WINDOW_SECONDS;
    const source = auditSource(ip);
    if (!this.busy.due('busy', source, until)) return false;
    this.busy.done('busy', source, until);
    return true;
  }

  failed(account: string, ip: string | null): void {
    const now = this.ctx.now();
    this.byAccount.hit(accountKey(account), now);
    if (ip !== null) this.byIp.hit(rateLimitKey(ip), now); // IPv6 per /64 (http/rate-limit-key.ts)
  }

  /** A complete login clears the account's count (not the IP's: one good account must not unlock guessing at others). */
  succeeded(account: string): void {
    const key = accountKey(account);
    this.byAccount.reset(key);
    this.refusals.forget(`account:${key}`); // a later lock-out is audited afresh
  }

  /** The keys over their limit, each with the end of its current window (epoch seconds). */
  private limitedKeys(account: string, ip: string | null, now: number): LimitedKey[] {
    const limited: LimitedKey[] = [];
    const key = accountKey(account);
    const accountWait = this.byAccount.blocked(key, now);
    if (accountWait > 0) limited.push({ kind: 'account', key: `account:${key}`, until: now + accountWait });
    const address = ip === null ? null : rateLimitKey(ip);
    const ipWait = address === null ? 0 : this.byIp.blocked(address, now);
    if (ipWait > 0) limited.push({ kind: 'ip', key: `ip:${address}`, until: now + ipWait });
    return limited;
  }
}

/** 128 bits of SHA-256: an account typed can be 320 characters, and the counters keep up to ACCOUNT_KEYS of them. */
function accountKey(email: string): string {
  return sha256(email.trim().toLowerCase()).slice(0, 22);
}

/** The source a refusal is audited once for: IPv6 per /64, like the counters (http/rate-limit-key.ts). */
function auditSource(ip: string | null): string | null {
  return ip === null ? null : rateLimitKey(ip);
}
