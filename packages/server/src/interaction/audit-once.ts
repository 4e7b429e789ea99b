/**
 * Which refusals of a flood to audit. The audit log is append-only and hash-chained, so a flood of
 * refused login requests must not cost a row each; but one source must not be able to silence the
 * rows of another either (an attacker locking a victim's account must not hide the victim's own
 * refused attempts). So a refusal is audited once per (limited key, source IP) and window, and at
 * most MAX_SOURCES_PER_KEY sources are audited per key and window: an address spray (IPv6) against
 * one account costs that many rows, not one per address.
 *
 * Memory is bounded: past MAX_ENTRIES the oldest entries are dropped (O(1) each; a dropped entry
 * is at worst audited once more).
 */

const MAX_ENTRIES = 100_000;
export const MAX_SOURCES_PER_KEY = 16;

export class AuditOnce {
  /** `${key}\n${epoch}\n${source}` → end of the window whose refusal from that source is audited. */
  readonly #audited = new Map<string, number>();
  /** key → the window (its end) and how many sources were audited in it. */
  readonly #sources = new Map<string, { until: number; count: number }>();
  /** key → how many times its window was ended early (`forget`): part of every entry's name. */
  readonly #epochs = new Map<string, number>();

  /** Whether a refusal of `key` from `source` in the window ending at `until` is still to be audited. */
  due(key: string, source: string | null, until: number): boolean {
    if (this.#audited.get(this.#entry(key, source)) === until) return false;
    const sources = this.#sources.get(key);
    return sources === undefined || sources.until !== until || sources.count < MAX_SOURCES_PER_KEY;
  }

  /** Called once the audit row is written: a failed write leaves the refusal due. */
  done(key: string, source: string | null, until: number): void {
    const name = this.#entry(key, source);
    if (this.#audited.get(name) === until) return;
    remember(this.#audited, name, until);
    const sources = this.#sources.get(key);
    remember(this.#sources, key, sources !== undefined && sources.until === until ? { until, count: sources.count + 1 } : { until, count: 1 });
  }

  /** The key's window ended early (a successful login clears the account's count): its next refusals are audited afresh. */
  forget(key: string): void {
    if (!this.#sources.has(key) && !this.#epochs.has(key)) return; // never audited: nothing to forget
    this.#sources.delete(key);
    remember(this.#epochs, key, (this.#epochs.get(key) ?? 0) + 1);
  }

  #entry(key: string, source: string | null): string {
    return `${key}\n${this.#epochs.get(key) ?? 0}\n${source ?? ''}`;
  }
}

/** Sets `key` as the newest entry (a Map iterates in insertion order) and drops the oldest past the bound. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size <= MAX_ENTRIES) return;
  const oldest = map.keys().next();
  if (!oldest.done) map.delete(oldest.value);
}
