/**
 * RFC 9449 §11.1: a proof's `jti` is accepted once within its validity window. In memory,
 * bounded; entries expire with the iat window, so memory stays proportional to traffic.
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();
  constructor(private readonly maxEntries = 100_000) {}

  /** false when the key was already used and has not expired. */
  use(key: string, expiresAt: number, now: number): boolean {
    const until = this.seen.get(key);
    if (until !== undefined && until >= now) return false;
    if (this.seen.size >= this.maxEntries) this.sweep(now);
    this.seen.set(key, expiresAt);
    return true;
  }

  private sweep(now: number): void {
    for (const [k, until] of this.seen) if (until < now) this.seen.delete(k);
    // Still full of live entries: drop the oldest (Map keeps insertion order) rather than grow.
    while (this.seen.size >= this.maxEntries) {
      const first = this.seen.keys().next();
      if (first.done) break;
      this.seen.delete(first.value);
    }
  }
}
