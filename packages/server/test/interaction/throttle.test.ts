/**
 * The login throttle's refusals (interaction/throttle.ts): a flood against a locked account or IP
 * is audited once per key and 15-minute window, not once per request (the audit log is
 * append-only and hash-chained: one row per refused request would be a cheap amplification).
 */
import { describe, expect, it } from 'vitest';
import type { ServerContext } from '../../src/context.ts';
import { LoginThrottle } from '../../src/interaction/throttle.ts';

const WINDOW = 15 * 60;

function throttleAt(start: number) {
  const clock = { now: start };
  const ctx = { config: { login: { maxFailures: 3 } }, now: () => clock.now } as unknown as ServerContext;
  return { throttle: new LoginThrottle(ctx), clock };
}

function lock(throttle: LoginThrottle, account: string, ip: string | null): void {
  for (let i = 0; i < 3; i++) throttle.failed(account, ip);
}

describe('LoginThrottle refusals: audited once per limited key and window', () => {
  it('below the limit nothing is refused', () => {
    const { throttle } = throttleAt(1_000);
    throttle.failed('a@example.com', '192.0.2.1');
    expect(throttle.refuse('a@example.com', '192.0.2.1')).toBeNull();
    expect(throttle.retryAfter('a@example.com', '192.0.2.1')).toBe(0);
  });

  it('N refusals of one key in one window: only the first is to be audited', () => {
    const { throttle, clock } = throttleAt(1_000);
    lock(throttle, 'a@example.com', '192.0.2.1');
    const refusals = Array.from({ length: 50 }, (_, i) => ((clock.now = 1_000 + i), throttle.refuse('a@example.com', '192.0.2.1')));
    expect(refusals.every((r) => r !== null && r.retryAfter > 0)).toBe(true);
    expect(refusals.filter((r) => r?.audit)).toHaveLength(1);
    expect(refusals[0]).toEqual({ retryAfter: WINDOW, audit: true });
    expect(refusals[49]).toEqual({ retryAfter: WINDOW - 49, audit: false });
    // retryAfter() only looks: it neither audits nor spends the window's audit.
    expect(throttle.retryAfter('a@example.com', '192.0.2.1')).toBe(WINDOW - 49);
  });

  it('a new window is audited again', () => {
    const { throttle, clock } = throttleAt(1_000);
    lock(throttle, 'a@example.com', '192.0.2.1');
    expect(throttle.refuse('a@example.com', '192.0.2.1')?.audit).toBe(true);
    expect(throttle.refuse('a@example.com', '192.0.2.1')?.audit).toBe(false);
    clock.now = 1_000 + WINDOW;
    expect(throttle.refuse('a@example.com', '192.0.2.1')).toBeNull();
    lock(throttle, 'a@example.com', '192.0.2.1');
    expect(throttle.refuse('a@example.com', '192.0.2.1')?.audit).toBe(true);
    expect(throttle.refuse('a@example.com', '192.0.2.1')?.audit).toBe(false);
  });

  it('each limited key is audited separately: another IP, another account', () => {
    const { throttle } = throttleAt(1_000);
    // An IP locked by failures on several accounts.
    for (const account of ['x@example.com', 'y@example.com', 'z@example.com']) throttle.failed(account, '192.0.2.9');
    expect(throttle.refuse('victim@example.com', '192.0.2.9')?.audit).toBe(true);
    expect(throttle.refuse('other@example.com', '192.0.2.9')?.audit).toBe(false); // same IP, same window
    // An account locked from several IPs: its key is audited once, whatever the IP.
    for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) throttle.failed('locked@example.com', ip);
    expect(throttle.refuse('locked@example.com', '198.51.100.4')?.audit).toBe(true);
    expect(throttle.refuse('Locked@Example.com ', '198.51.100.5')?.audit).toBe(false);
    // A second IP locked: audited on its own.
    lock(throttle, 'w@example.com', '192.0.2.10');
    expect(throttle.refuse('w@example.com', '192.0.2.10')?.audit).toBe(true);
    expect(throttle.refuse('locked@example.com', '192.0.2.9')?.audit).toBe(false); // both keys already audited
  });

  it('a successful login forgets the account: a later lock-out of it is audited again', () => {
    const { throttle } = throttleAt(1_000);
    lock(throttle, 'a@example.com', null);
    expect(throttle.refuse('a@example.com', null)?.audit).toBe(true);
    throttle.succeeded('a@example.com');
    expect(throttle.refuse('a@example.com', null)).toBeNull();
    lock(throttle, 'a@example.com', null);
    expect(throttle.refuse('a@example.com', null)?.audit).toBe(true);
  });
});
