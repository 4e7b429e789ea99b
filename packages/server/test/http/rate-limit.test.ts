/**
 * RateLimiter (http/rate-limit.ts): fixed windows per key, in a map bounded by `maxKeys`. When a
 * new key finds it full, expired windows go first, then the oldest live window — never the
 * newest, and never by refusing the new key.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_KEYS, RateLimiter } from '../../src/http/rate-limit.ts';

const WINDOW = 60;

describe('RateLimiter', () => {
  it('limits a key within its window and lets it go in the next', () => {
    const limiter = new RateLimiter(2, WINDOW);
    expect([limiter.hit('a', 1_000), limiter.hit('a', 1_001), limiter.hit('a', 1_010)]).toEqual([0, 0, 50]);
    expect(limiter.blocked('a', 1_010)).toBe(50);
    expect(limiter.hit('a', 1_000 + WINDOW)).toBe(0);
  });

  it('never holds more than maxKeys keys, however many distinct keys one window sees', () => {
    const limiter = new RateLimiter(1, WINDOW, 1_000);
    for (let i = 0; i < 50_000; i++) limiter.hit(`spray-${i}`, 1_000);
    expect(limiter.size).toBe(1_000);
  });

  it('when full, evicts the oldest window first: the newest counters stay', () => {
    const limiter = new RateLimiter(1, WINDOW, 3);
    limiter.hit('oldest', 1_000);
    limiter.hit('middle', 1_001);
    limiter.hit('newest', 1_002);
    limiter.hit('newest', 1_002); // over its limit
    limiter.hit('fresh', 1_003);
    expect(limiter.size).toBe(3);
    expect(limiter.hit('newest', 1_003)).toBeGreaterThan(0); // still counted
    expect(limiter.blocked('middle', 1_003)).toBe(WINDOW - 2); // limit 1: its one hit blocks
    expect(limiter.blocked('oldest', 1_003)).toBe(0); // evicted
  });

  it('a key whose window starts again moves to the back: it outlives keys whose windows began before', () => {
    const limiter = new RateLimiter(1, WINDOW, 2);
    limiter.hit('a', 1_000);
    limiter.hit('b', 1_030);
    limiter.hit('a', 1_000 + WINDOW); // a new window for a, after b's
    limiter.hit('a', 1_000 + WINDOW);
    limiter.hit('c', 1_000 + WINDOW + 1); // full: b's window is the oldest
    expect(limiter.blocked('a', 1_000 + WINDOW + 1)).toBe(WINDOW - 1);
    expect(limiter.blocked('b', 1_000 + WINDOW + 1)).toBe(0);
  });

  it('drops expired windows before any live one', () => {
    const limiter = new RateLimiter(1, WINDOW, 3);
    limiter.hit('expired-1', 1_000);
    limiter.hit('expired-2', 1_001);
    limiter.hit('live', 1_050);
    limiter.hit('new', 1_070); // both first windows are over by now
    expect(limiter.size).toBe(2);
    expect(limiter.blocked('live', 1_070)).toBe(40);
  });

  it('reset forgets a key', () => {
    const limiter = new RateLimiter(1, WINDOW);
    limiter.hit('a', 1_000);
    limiter.reset('a');
    expect(limiter.blocked('a', 1_000)).toBe(0);
    expect(limiter.size).toBe(0);
  });

  it('has a large default cap and refuses a cap that holds no key', () => {
    expect(DEFAULT_MAX_KEYS).toBe(100_000);
    expect(() => new RateLimiter(1, WINDOW, 0)).toThrow(RangeError);
  });
});
