/**
 * A fixed-window counter per key, in memory. Good for one instance; with several instances
 * behind a balancer each enforces its own share (documented in docs/threat-model.md).
 *
 * Memory is bounded by `maxKeys`, because some keys are chosen by the caller (the login
 * throttle's per-account limiter counts any email typed at the login form). When a new key finds
 * the map full, expired windows go first, then the oldest live window: a Map iterates in
 * insertion order and a key is re-inserted when its window starts, so the front holds the windows
 * nearest their end, and dropping one of them forgets the least time of a count.
 *
 * Why evict rather than refuse: refusing new keys while full (everyone limited) would let whoever
 * fills the map lock out every other caller; not counting them (no one limited) would let them
 * lift every limit. Eviction only lets an attacker flush one counter by making `maxKeys` fresh
 * keys while it still runs — so the cap is large, and each caller makes fresh keys expensive
 * (interaction/throttle.ts: every login failure is also counted against its address, IPv6 per
 * /64). Callers set a cap for their key space; a full map holds `maxKeys` entries.
 */
export const DEFAULT_MAX_KEYS = 100_000;

interface Window {
  start: number;
  count: number;
}

export class RateLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly limit: number,
    private readonly windowSeconds: number,
    private readonly maxKeys: number = DEFAULT_MAX_KEYS,
  ) {
    if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError(`A rate limiter needs room for at least one key, not ${maxKeys}.`);
  }

  /** Counts one hit; returns the seconds to wait when over the limit, else 0. */
  hit(key: string, now: number): number {
    const w = this.windows.get(key);
    if (!w || now - w.start >= this.windowSeconds) {
      this.windows.delete(key); // a new window goes to the back of the insertion order
      this.makeRoom(now);
      this.windows.set(key, { start: now, count: 1 });
      return 0;
    }
    w.count += 1;
    return w.count > this.limit ? w.start + this.windowSeconds - now : 0;
  }

  /** Like hit but does not count; used to check before a failure is recorded. */
  blocked(key: string, now: number): number {
    const w = this.windows.get(key);
    if (!w || now - w.start >= this.windowSeconds) return 0;
    return w.count >= this.limit ? w.start + this.windowSeconds - now : 0;
  }

  reset(key: string): void {
    this.windows.delete(key);
  }

  /** Keys counted now (expired windows included until they are dropped). */
  get size(): number {
    return this.windows.size;
  }

  /** Drops expired windows from the front, then, while still full, the oldest live ones. */
  private makeRoom(now: number): void {
    for (const [key, w] of this.windows) {
      if (now - w.start < this.windowSeconds && this.windows.size < this.maxKeys) return;
      this.windows.delete(key);
    }
  }
}
