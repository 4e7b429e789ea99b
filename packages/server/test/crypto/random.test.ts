/**
 * Random tokens and ids come from a pooled CSPRNG buffer (crypto/hash.ts): the pool must never
 * hand the same bytes out twice, across refills, and sizes must be honoured exactly.
 */
import { describe, expect, it } from 'vitest';
import { randomId, randomToken } from '../../src/crypto/hash.ts';

describe('pooled random tokens and ids', () => {
  it('never repeats a value, across many pool refills', () => {
    const seen = new Set<string>();
    // 16-byte ids from a 4 KiB pool: 256 per refill, so this crosses dozens of refills.
    for (let i = 0; i < 20_000; i++) seen.add(randomToken(16));
    expect(seen.size).toBe(20_000);
  });

  it('gives the requested number of bytes, base64url without padding', () => {
    for (const bytes of [1, 16, 31, 32, 33, 64, 1024, 1025, 5000]) {
      const token = randomToken(bytes);
      expect(token).toMatch(/^[A-Za-z0-9_-]*$/);
      expect(Buffer.from(token, 'base64url').length).toBe(bytes);
    }
    expect(randomToken()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomToken(0)).toBe('');
  });

  it('prefixes ids and keeps 128 random bits', () => {
    const id = randomId('grt');
    expect(id).toMatch(/^grt_[A-Za-z0-9_-]{22}$/);
    expect(randomId('grt')).not.toBe(id);
  });

  it('refuses sizes that are not a whole, non-negative number of bytes', () => {
    expect(() => randomToken(-1)).toThrow(RangeError);
    expect(() => randomToken(1.5)).toThrow(RangeError);
    expect(() => randomToken(Number.NaN)).toThrow(RangeError);
  });

  it('looks uniform: every base64url character shows up in a large sample', () => {
    const chars = new Set(Array.from({ length: 200 }, () => randomToken(32)).join(''));
    expect(chars.size).toBe(64);
  });
});
