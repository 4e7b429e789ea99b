/**
 * A fixed-window counter per key, in memory. Good for one instance; with several instances
 * behind a balancer each enforces its own share (documented in docs/threat-model.md).
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowSeconds: number,
  ) {}

  /** Counts one hit; returns the seconds to wait when over the limit, else 0. */
  hit(key: string, now: number): number {
    const w = this.windows.get(key);
    if (!w || now - w.start >= this.windowSeconds) {
      this.windows.set(key, { start: now, count: 1 });
      if (this.windows.size > 100_000) this.sweep(now);
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

  private sweep(now: number): void {
    for (const [k, w] of this.windows) if (now - w.start >= this.windowSeconds) this.windows.delete(k);
  }
}
