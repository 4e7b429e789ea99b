/**
 * RFC 9449 §11.1: a proof's `jti` is accepted once within its validity window. In memory and
 * bounded, and a live entry is never forgotten: evicting one (as an LRU would) lets a caller who
 * floods the cache with proofs of its own make a victim's captured proof acceptable again. So when
 * the cache is full of live entries, new proofs are refused until entries expire (fail closed; the
 * client retries with a fresh proof later), and one key may hold only `maxPerKey` live entries, so
 * a single token-bound key cannot fill the cache and lock everyone else out. An entry lives at
 * most 2 × the iat window (iat may be up to one window in the future), so refusals are short.
 */
export type ReplayVerdict = 'fresh' | 'replayed' | 'no_room';

/** Defaults: 100 000 live proofs, 1 000 per key (about 16 requests a second per key with a 60 s iat window). */
export interface ReplayCacheLimits {
  maxEntries?: number;
  maxPerKey?: number;
}

export class ReplayCache {
  /** jkt → (jti → epoch second until which the proof is live). */
  private readonly byKey = new Map<string, Map<string, number>>();
  private size = 0;
  /** No entry expires before this: a full cache is swept at most once per expiry, not per proof. */
  private earliestExpiry = Infinity;
  private readonly maxEntries: number;
  private readonly maxPerKey: number;

  constructor(limits: ReplayCacheLimits = {}) {
    this.maxEntries = limits.maxEntries ?? 100_000;
    this.maxPerKey = limits.maxPerKey ?? 1_000;
  }

  /**
   * Records the proof `jti` of key `jkt` as used until `expiresAt`, unless it was used or there is
   * no room: `no_room` when the key's quota or the whole cache is full of live proofs.
   */
  use(jkt: string, jti: string, expiresAt: number, now: number): ReplayVerdict {
    let proofs = this.byKey.get(jkt);
    const until = proofs?.get(jti);
    if (until !== undefined && until >= now) return 'replayed';
    // An expired entry of the same jti is overwritten below and takes no new room.
    if (until === undefined) {
      if (proofs && proofs.size >= this.maxPerKey) this.sweepKey(jkt, proofs, now);
      if (proofs && proofs.size >= this.maxPerKey) return 'no_room';
      if (this.size >= this.maxEntries && now > this.earliestExpiry) this.sweep(now);
      if (this.size >= this.maxEntries) return 'no_room';
      this.size += 1;
    }
    // A sweep may have dropped this key's emptied map: set it back unconditionally.
    this.byKey.set(jkt, (proofs = this.byKey.get(jkt) ?? new Map()));
    proofs.set(jti, expiresAt);
    this.earliestExpiry = Math.min(this.earliestExpiry, expiresAt);
    return 'fresh';
  }

  /** Every live proof the cache may hold is held (not one key's quota: the whole cache). */
  get full(): boolean {
    return this.size >= this.maxEntries;
  }

  private remove(proofs: Map<string, number>, jti: string): void {
    if (proofs.delete(jti)) this.size -= 1;
  }

  private sweepKey(jkt: string, proofs: Map<string, number>, now: number): void {
    for (const [jti, until] of proofs) if (until < now) this.remove(proofs, jti);
    if (proofs.size === 0) this.byKey.delete(jkt);
  }

  private sweep(now: number): void {
    let earliest = Infinity;
    for (const [jkt, proofs] of this.byKey) {
      this.sweepKey(jkt, proofs, now);
      for (const until of proofs.values()) earliest = Math.min(earliest, until);
    }
    this.earliestExpiry = earliest;
  }
}
