/**
 * The authorization server's JWKS, cached. Key rotation: a token whose `kid` is unknown causes
 * one refetch, at most once per `cooldownMs` (so forged kids cannot make us hammer the AS).
 * When the AS is unreachable the cached keys keep verifying tokens (TS-1); a periodic refresh
 * that fails keeps the old set.
 */
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey, type FlattenedJWSInput, type JWSHeaderParameters } from 'jose';
import type { FetchLike, MetadataCache } from './discovery.ts';

export interface JwksOptions {
  cooldownMs: number;
  maxAgeMs: number;
  timeoutMs: number;
}

export class JwksCache {
  private keys: JSONWebKeySet | undefined;
  private local: JWTVerifyGetKey | undefined;
  private fetchedAt = 0;
  private inflight: Promise<void> | undefined;
  /** Last failed fetch with nothing cached: no new attempt within the cooldown (the AS is down). */
  private failedAt = -Infinity;
  private lastError: unknown;
  /** How many times the JWKS was fetched (observability; tests prove the rate limit with it). */
  fetches = 0;

  constructor(
    private readonly metadata: MetadataCache,
    private readonly fetchImpl: FetchLike,
    private readonly options: JwksOptions,
    private readonly clock: () => number = Date.now,
  ) {}

  /** jose's key resolver: the cached set, refetched once for an unknown kid. */
  readonly getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey | Uint8Array> => {
    if (!this.local && this.clock() - this.failedAt < this.options.cooldownMs) throw this.lastError;
    if (!this.local || this.clock() - this.fetchedAt > this.options.maxAgeMs) await this.refresh();
    if (!this.local) throw new Error('the authorization server JWKS is unavailable');
    if (header.kid !== undefined && !this.has(header.kid) && this.clock() - this.fetchedAt >= this.options.cooldownMs) {
      await this.refresh();
    }
    return (this.local as (h: JWSHeaderParameters, t: FlattenedJWSInput) => Promise<CryptoKey | Uint8Array>)(header, token);
  };

  private has(kid: string): boolean {
    return this.keys?.keys.some((k) => k.kid === kid) ?? false;
  }

  private refresh(): Promise<void> {
    if (!this.inflight) {
      this.inflight = this.load()
        .catch((err: unknown) => {
          // Keep the cached keys when we have some (TS-1); without any, the caller fails closed.
          if (!this.local) {
            this.failedAt = this.clock();
            this.lastError = err;
            throw err;
          }
          this.fetchedAt = this.clock();
        })
        .finally(() => {
          this.inflight = undefined;
        });
    }
    return this.inflight;
  }

  private async load(): Promise<void> {
    this.fetches += 1;
    const meta = await this.metadata.get();
    if (!meta.jwks_uri) throw new Error('the authorization server metadata has no jwks_uri');
    const res = await this.fetchImpl(meta.jwks_uri, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(this.options.timeoutMs) });
    if (!res.ok) throw new Error(`JWKS fetch failed: HTTP ${res.status}`);
    const set = (await res.json()) as JSONWebKeySet;
    if (!Array.isArray(set.keys)) throw new Error('the JWKS document has no keys array');
    this.keys = set;
    this.local = createLocalJWKSet(set);
    this.fetchedAt = this.clock();
  }
}
