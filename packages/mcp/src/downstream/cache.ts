/**
 * Cache of exchanged tokens: one entry per (inbound token, audience, scopes), kept until shortly before
 * the token expires; concurrent requests for the same entry share one exchange.
 */
export interface CachedToken {
  token: string;
  /** Epoch seconds. */
  expiresAt: number;
}

export interface TokenCacheOptions {
  /** Seconds before expiry at which a cached token is no longer handed out. */
  refreshSkew?: number;
  /** Entries kept at most; the oldest are dropped first. */
  maxEntries?: number;
  now?: () => number;
}

export class TokenCache {
  private readonly entries = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<CachedToken>>();
  private readonly skew: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: TokenCacheOptions = {}) {
    this.skew = options.refreshSkew ?? 30;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
  }

  /** A fresh cached token, or the result of `fetch` (shared by concurrent callers, cached on success). */
  async get(key: string, fetch: () => Promise<CachedToken>): Promise<string> {
    const hit = this.entries.get(key);
    if (hit && this.fresh(hit)) return hit.token;
    if (hit) this.entries.delete(key);
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = fetch().finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    const got = await pending;
    this.store(key, got);
    return got.token;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }

  /** Usable for at least `skew` more seconds: a token handed out must not expire on its way downstream. */
  private fresh(entry: CachedToken): boolean {
    return this.now() < entry.expiresAt - this.skew;
  }

  private store(key: string, entry: CachedToken): void {
    if (!this.fresh(entry)) return; // already too close to expiry: not worth keeping
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
