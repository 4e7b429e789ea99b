/**
 * RFC 9449 §11.1 DPoP proof replay cache: bounded, and never forgets a live proof (a flood of
 * proofs must not make a captured proof acceptable again).
 */
import { describe, expect, it } from 'vitest';
import { ReplayCache } from '../../src/token/replay-cache.ts';

const NOW = 1_800_000_000;

describe('RFC 9449 §11.1 a flood of proofs never evicts a live one', () => {
  it('a victim proof stays refused while its window lasts, even after the cache filled up with other keys\' proofs', () => {
    const cache = new ReplayCache({ maxEntries: 1_000, maxPerKey: 100 });
    expect(cache.use('victim-jkt', 'jti-v', NOW + 60, NOW)).toBe('fresh');
    const verdicts = new Set<string>();
    for (let k = 0; k < 20; k++) for (let i = 0; i < 100; i++) verdicts.add(cache.use(`attacker-${k}`, `jti-${i}`, NOW + 60, NOW));
    expect(verdicts).toEqual(new Set(['fresh', 'no_room'])); // refused once full, never accepted unrecorded
    expect(cache.use('victim-jkt', 'jti-v', NOW + 60, NOW + 1)).toBe('replayed');
  });

  it('one key cannot hold more than its quota of live proofs; other keys still get in', () => {
    const cache = new ReplayCache({ maxEntries: 1_000, maxPerKey: 100 });
    for (let i = 0; i < 100; i++) expect(cache.use('greedy', `jti-${i}`, NOW + 60, NOW)).toBe('fresh');
    expect(cache.use('greedy', 'jti-100', NOW + 60, NOW)).toBe('no_room');
    expect(cache.use('honest', 'jti-0', NOW + 60, NOW)).toBe('fresh');
    // The quota's proofs are still remembered.
    expect(cache.use('greedy', 'jti-0', NOW + 60, NOW)).toBe('replayed');
  });

  it('expired proofs make room again, for the cache and for a key', () => {
    const cache = new ReplayCache({ maxEntries: 10, maxPerKey: 5 });
    for (let k = 0; k < 2; k++) for (let i = 0; i < 5; i++) cache.use(`key-${k}`, `jti-${i}`, NOW + 60, NOW);
    expect(cache.use('key-2', 'jti-0', NOW + 60, NOW)).toBe('no_room');
    expect(cache.use('key-0', 'jti-5', NOW + 60, NOW)).toBe('no_room');
    expect(cache.use('key-2', 'jti-0', NOW + 120, NOW + 61)).toBe('fresh');
    expect(cache.use('key-0', 'jti-5', NOW + 120, NOW + 61)).toBe('fresh');
    // An expired jti may be seen again (its proof's iat is outside the window by then anyway).
    expect(cache.use('key-1', 'jti-0', NOW + 120, NOW + 61)).toBe('fresh');
    expect(cache.use('key-1', 'jti-0', NOW + 120, NOW + 62)).toBe('replayed');
  });
});
