/** The exchanged-token cache: per key, until shortly before expiry, one exchange for concurrent callers. */
import { describe, expect, it } from 'vitest';
import { TokenCache } from '../../src/downstream/cache.ts';

function clock(start = 1_000) {
  let t = start;
  return { now: () => t, advance: (s: number) => (t += s) };
}

describe('PASS-1 downstream token cache', () => {
  it('serves a cached token until refreshSkew seconds before expiry, then exchanges again', async () => {
    const c = clock();
    const cache = new TokenCache({ refreshSkew: 30, now: c.now });
    let exchanges = 0;
    const fetch = async () => ({ token: `t${++exchanges}`, expiresAt: c.now() + 300 });
    expect(await cache.get('k', fetch)).toBe('t1');
    c.advance(269);
    expect(await cache.get('k', fetch)).toBe('t1');
    c.advance(1); // 30 s before expiry
    expect(await cache.get('k', fetch)).toBe('t2');
    expect(exchanges).toBe(2);
  });

  it('keeps entries apart by key', async () => {
    const c = clock();
    const cache = new TokenCache({ now: c.now });
    expect(await cache.get('a', async () => ({ token: 'ta', expiresAt: 2_000 }))).toBe('ta');
    expect(await cache.get('b', async () => ({ token: 'tb', expiresAt: 2_000 }))).toBe('tb');
    expect(await cache.get('a', async () => ({ token: 'other', expiresAt: 2_000 }))).toBe('ta');
  });

  it('shares one exchange between concurrent callers', async () => {
    const cache = new TokenCache({ now: () => 1_000 });
    let exchanges = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const fetch = async () => {
      exchanges += 1;
      await gate;
      return { token: 'shared', expiresAt: 2_000 };
    };
    const all = Promise.all([cache.get('k', fetch), cache.get('k', fetch), cache.get('k', fetch)]);
    release();
    expect(await all).toEqual(['shared', 'shared', 'shared']);
    expect(exchanges).toBe(1);
  });

  it('does not cache failures, nor tokens already too close to expiry', async () => {
    const cache = new TokenCache({ refreshSkew: 30, now: () => 1_000 });
    await expect(cache.get('k', async () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect(await cache.get('k', async () => ({ token: 'short', expiresAt: 1_010 }))).toBe('short');
    expect(cache.size).toBe(0);
    expect(await cache.get('k', async () => ({ token: 'ok', expiresAt: 2_000 }))).toBe('ok');
    expect(cache.size).toBe(1);
  });

  it('drops the oldest entries beyond maxEntries', async () => {
    const cache = new TokenCache({ maxEntries: 2, now: () => 1_000 });
    for (const k of ['a', 'b', 'c']) await cache.get(k, async () => ({ token: k, expiresAt: 2_000 }));
    expect(cache.size).toBe(2);
    expect(await cache.get('a', async () => ({ token: 'a2', expiresAt: 2_000 }))).toBe('a2');
  });
});
