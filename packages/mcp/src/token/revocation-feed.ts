/**
 * The authorization server's signed revocation feed (CO-1, EN-2): `/revocations` answers one
 * JWT (`typ: revocation-list+jwt`, signed with the AS key, `aud` = our client_id) listing
 * revoked access-token jtis and grants after a cursor. We poll it, remember each event until
 * its `exp` plus the leeway the token checks allow past `exp` (a token is accepted until then, so
 * forgetting its revocation at `exp` would make it work again), and refuse tokens it names. Near
 * real time without an introspection round-trip per request. If the feed cannot be read for longer than `maxStaleSeconds`, tokens are refused
 * (fail closed: we no longer know what was revoked).
 */
import { jwtVerify } from 'jose';
import { TemporarilyUnavailableError } from '../core/errors.ts';
import type { AuthContext, RevocationSource } from '../core/types.ts';
import type { FetchLike } from './discovery.ts';
import type { JwksCache } from './jwks.ts';

export interface RevocationFeedOptions {
  clientId: string;
  clientSecret: string;
  /** Defaults to `<issuer>/revocations`. */
  endpoint?: string;
  /** Poll period, ms (default 5000). 0 = no timer: call `sync()` yourself. */
  intervalMs?: number;
  /** Refuse tokens when the last successful sync is older than this (default 300 s). */
  maxStaleSeconds?: number;
}

interface FeedEvent {
  seq: number;
  jti?: string;
  grant_id?: string;
  exp: number;
}

export class RevocationFeedSource implements RevocationSource {
  private cursor = 0;
  private readonly jtis = new Map<string, number>();
  private readonly grants = new Map<string, number>();
  private lastSync = -Infinity;
  private running: Promise<void> | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly o: RevocationFeedOptions,
    private readonly issuer: string,
    private readonly jwks: JwksCache,
    private readonly fetchImpl: FetchLike,
    private readonly timeoutMs: number,
    private readonly now: () => number,
    /** The exp leeway of token validation (the `leewaySeconds` option, default 30). */
    private readonly leewaySeconds = 30,
  ) {
    const interval = o.intervalMs ?? 5000;
    if (interval > 0) {
      this.timer = setInterval(() => void this.sync().catch(() => undefined), interval);
      this.timer.unref?.();
    }
  }

  /** Pulls every page after the cursor. Concurrent callers share one pull. */
  sync(): Promise<void> {
    this.running ??= this.pull().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async page(): Promise<{ events: FeedEvent[]; next: number; more: boolean }> {
    const endpoint = this.o.endpoint ?? `${this.issuer.replace(/\/$/, '')}/revocations`;
    const res = await this.fetchImpl(endpoint, {
      method: 'POST',
      headers: {
        // RFC 6749 §2.3.1 Basic, each part form-urlencoded.
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(this.o.clientId)}:${encodeURIComponent(this.o.clientSecret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ after: String(this.cursor) }).toString(),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok) throw new Error(`revocation feed: HTTP ${res.status}`);
    const { payload } = await jwtVerify(await res.text(), this.jwks.getKey, {
      typ: 'revocation-list+jwt',
      issuer: this.issuer,
      audience: this.o.clientId,
      requiredClaims: ['exp', 'iat'],
      currentDate: new Date(this.now() * 1000),
    });
    const events = Array.isArray(payload.events) ? (payload.events as FeedEvent[]) : [];
    return { events, next: typeof payload.next === 'number' ? payload.next : this.cursor, more: payload.more === true };
  }

  private async pull(): Promise<void> {
    for (let pages = 0; pages < 100; pages++) {
      const { events, next, more } = await this.page();
      for (const e of events) {
        if (typeof e.jti === 'string') this.jtis.set(e.jti, e.exp);
        if (typeof e.grant_id === 'string') this.grants.set(e.grant_id, e.exp);
      }
      this.cursor = Math.max(this.cursor, next);
      if (!more) break;
    }
    this.lastSync = this.now();
    this.forgetExpired();
  }

  private forgetExpired(): void {
    // jwt.ts accepts a token while exp + leeway > now: keep its revocation at least that long.
    const before = this.now() - this.leewaySeconds;
    for (const [k, exp] of this.jtis) if (exp < before) this.jtis.delete(k);
    for (const [k, exp] of this.grants) if (exp < before) this.grants.delete(k);
  }

  async isRevoked(auth: AuthContext): Promise<boolean> {
    if (this.now() - this.lastSync > (this.o.maxStaleSeconds ?? 300)) {
      try {
        await this.sync();
      } catch (err) {
        // Answered before authentication: the reason (internal URLs, network errors) stays in `cause`.
        throw Object.assign(new TemporarilyUnavailableError('the revocation feed cannot be read'), { cause: err });
      }
    }
    if (auth.jti !== undefined && this.jtis.has(auth.jti)) return true;
    const grant = auth.claims.grant_id;
    return typeof grant === 'string' && this.grants.has(grant);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
