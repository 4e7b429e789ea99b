/**
 * Refused requests are audited (events.ts), but a refusal costs the caller nothing: without a
 * bound, anyone can send forged tokens as fast as the server answers and turn each one into a spool
 * line, a delivery and a row in the authorization server's hash-chained audit log (audit
 * amplification). So like refusals — same error, same description, same client network (an IPv4
 * address, an IPv6 /64: client-network.ts) — are recorded once per interval; the ones in between
 * are counted, and the count is recorded with the next event of that kind, or, when none comes, as
 * a summary event once its window has ended
 * (found by a sweep at most once per interval, run by the next refusal of any kind). The trail
 * still says who was refused, why, and how often; a flood from one address, or from every address
 * of one IPv6 /64, costs about one event a minute. A recorded refusal carries its own address; a
 * summary carries the address the counted refusals came from, or their /64 when they came from several.
 *
 * Bounded: at most `maxKeys` kinds are tracked (when full, ended windows are swept first, as soon
 * as one has ended); past that (a flood from many addresses), new kinds share one window per error code, recorded as `aggregated` (no address, a generic description),
 * so memory stays fixed and the events per interval too.
 */
import { clientNetworkOf } from './client-network.ts';

export interface AuthFailureCoalescerOptions {
  /** Seconds during which like refusals after the first are only counted (default 60). */
  intervalSeconds?: number;
  /** Kinds (error, description, client network) tracked at once (default 10 000). */
  maxKeys?: number;
}

/** What to record: a refusal, or (summary) only the count of like ones no later refusal reported. */
export interface CoalescedRefusal {
  error: string;
  description: string;
  /** This refusal's address; a summary's: that of the refusals counted, or their /64 if several. */
  ip: string | undefined;
  /** Like refusals counted, not recorded, before this event. */
  suppressed: number;
  /** Refusals of many addresses in one window (the tracked kinds were full). */
  aggregated: boolean;
  /** No new refusal: the count of an ended window that no later refusal of its kind reported. */
  summary: boolean;
}

interface Window {
  error: string;
  description: string;
  /** The key's network (client-network.ts): a summary's address when the counted ones differ. */
  network: string | undefined;
  /** The address of the refusals counted (once one is), or `network` when they differ. */
  ip: string | undefined;
  aggregated: boolean;
  /** Epoch seconds until which like refusals are only counted. */
  until: number;
  /** Refusals counted, not recorded, since the last recorded one. */
  suppressed: number;
}

export class AuthFailureCoalescer {
  private readonly windows = new Map<string, Window>();
  private readonly intervalSeconds: number;
  private readonly maxKeys: number;
  private nextSweep = 0;

  constructor(options: AuthFailureCoalescerOptions = {}) {
    this.intervalSeconds = options.intervalSeconds ?? 60;
    this.maxKeys = options.maxKeys ?? 10_000;
  }

  /** The events to record for this refusal: none (counted), or it, after any summaries due. */
  admit(error: string, description: string, ip: string | undefined, now: number): CoalescedRefusal[] {
    const network = ip === undefined ? undefined : clientNetworkOf(ip);
    let key = JSON.stringify([error, description, network ?? null]);
    // This refusal's own ended window is left to it: it carries that count itself.
    const out = now >= this.nextSweep ? this.sweep(now, key) : [];
    let aggregated = false;
    // Full, but a window has ended since the last sweep: sweep now rather than pool a new address.
    if (!this.windows.has(key) && this.windows.size >= this.maxKeys && now >= this.earliestEnd()) out.push(...this.sweep(now, key));
    if (!this.windows.has(key) && this.windows.size >= this.maxKeys) {
      key = JSON.stringify([error, '*']);
      aggregated = true;
    }
    const window = this.windows.get(key);
    if (window && now < window.until) {
      if (!window.aggregated) window.ip = window.suppressed === 0 || window.ip === ip ? ip : window.network;
      window.suppressed += 1;
      return out;
    }
    const suppressed = window?.suppressed ?? 0;
    const kind = aggregated ? { description: `${error} for more client addresses than are tracked one by one`, ip: undefined } : { description, ip };
    // Deleted first so the map stays in order of `until` (the interval is fixed): a sweep stops at the first window still running.
    this.windows.delete(key);
    this.windows.set(key, { error, ...kind, network: aggregated ? undefined : network, aggregated, until: now + this.intervalSeconds, suppressed: 0 });
    out.push({ error, ...kind, suppressed, aggregated, summary: false });
    return out;
  }

  /** When the oldest window ends (epoch seconds): the map is in order of `until`. */
  private earliestEnd(): number {
    for (const w of this.windows.values()) return w.until;
    return Infinity;
  }

  /**
   * Ends every window that has run out: their counts become summary events, their room is freed.
   * Windows are in order of `until`, so it visits only those that ended, and the first still running.
   */
  private sweep(now: number, keep: string): CoalescedRefusal[] {
    this.nextSweep = now + this.intervalSeconds;
    const summaries: CoalescedRefusal[] = [];
    for (const [key, w] of this.windows) {
      if (now < w.until) break;
      if (key === keep) continue;
      this.windows.delete(key);
      if (w.suppressed > 0) summaries.push({ error: w.error, description: w.description, ip: w.ip, suppressed: w.suppressed, aggregated: w.aggregated, summary: true });
    }
    return summaries;
  }
}
