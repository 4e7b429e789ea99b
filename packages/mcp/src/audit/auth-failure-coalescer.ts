/**
 * Refused requests are audited (events.ts), but a refusal costs the caller nothing: without a
 * bound, anyone can send forged tokens as fast as the server answers and turn each one into a spool
 * line, a delivery and a row in the authorization server's hash-chained audit log (audit
 * amplification). So like refusals — same error, same description, same client address — are
 * recorded once per interval; the ones in between are counted, and the next recorded event of
 * that kind carries the count (`suppressed`). The trail still says who was refused, why, and how
 * often; a flood from one address costs one event a minute.
 *
 * Bounded: at most `maxKeys` kinds are tracked; past that (a flood from many addresses), new kinds
 * share one window per error code, so memory stays fixed and the events per interval too.
 */
export interface AuthFailureCoalescerOptions {
  /** Seconds during which like refusals after the first are only counted (default 60). */
  intervalSeconds?: number;
  /** Kinds (error, description, address) tracked at once (default 10 000). */
  maxKeys?: number;
}

interface Window {
  /** Epoch seconds until which like refusals are only counted. */
  until: number;
  /** Refusals counted, not recorded, since the last recorded one. */
  suppressed: number;
}

export class AuthFailureCoalescer {
  private readonly windows = new Map<string, Window>();
  private readonly intervalSeconds: number;
  private readonly maxKeys: number;

  constructor(options: AuthFailureCoalescerOptions = {}) {
    this.intervalSeconds = options.intervalSeconds ?? 60;
    this.maxKeys = options.maxKeys ?? 10_000;
  }

  /**
   * Whether to record this refusal now: `{ suppressed }` (how many like ones were only counted
   * since the last recorded one) when it opens a new window, `undefined` when it is only counted.
   */
  admit(error: string, description: string, ip: string | undefined, now: number): { suppressed: number } | undefined {
    let key = JSON.stringify([error, description, ip ?? null]);
    if (!this.windows.has(key) && this.windows.size >= this.maxKeys) {
      this.sweep(now);
      if (this.windows.size >= this.maxKeys) key = JSON.stringify([error, '*']);
    }
    const window = this.windows.get(key);
    if (window && now < window.until) {
      window.suppressed += 1;
      return undefined;
    }
    const suppressed = window?.suppressed ?? 0;
    // Re-inserted: Map order stays oldest window first.
    this.windows.delete(key);
    this.windows.set(key, { until: now + this.intervalSeconds, suppressed: 0 });
    return { suppressed };
  }

  /** Drops windows that ended with nothing counted (their count has nothing left to report). */
  private sweep(now: number): void {
    for (const [key, w] of this.windows) if (now >= w.until && w.suppressed === 0) this.windows.delete(key);
  }
}
