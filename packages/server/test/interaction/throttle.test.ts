/**
 * The login throttle's refusals (interaction/throttle.ts, audit-once.ts): a flood against a locked
 * account or IP is audited once per limited key, source IP and 15-minute window, at most 16
 * sources per key and window — not once per request (the audit log is append-only and
 * hash-chained: one row per refused request would be a cheap amplification), and without letting
 * one source silence another's refusals.
 */
import { describe, expect, it } from 'vitest';
import type { ServerContext } from '../../src/context.ts';
import { ACCOUNT_KEYS, LoginThrottle, type LoginRefusal } from '../../src/interaction/throttle.ts';
import { MAX_SOURCES_PER_KEY } from '../../src/interaction/audit-once.ts';
import { passkeyThrottleAccount } from '../../src/interaction/steps/passkey.ts';

const WINDOW = 15 * 60;

function throttleAt(start: number) {
  const clock = { now: start };
  const ctx = { config: { login: { maxFailures: 3 } }, now: () => clock.now } as unknown as ServerContext;
  return { throttle: new LoginThrottle(ctx), clock };
}

function lock(throttle: LoginThrottle, account: string, ip: string | null): void {
  for (let i = 0; i < 3; i++) throttle.failed(account, ip);
}

/** What the login step does: refuse, and when the refusal is to be audited, write it and say so. */
function refuseAndAudit(throttle: LoginThrottle, account: string, ip: string | null): LoginRefusal | null {
  const refusal = throttle.refuse(account, ip);
  if (refusal?.audit) throttle.audited(refusal);
  return refusal;
}

describe('LoginThrottle refusals: audited once per limited key, source and window', () => {
  it('below the limit nothing is refused', () => {
    const { throttle } = throttleAt(1_000);
    throttle.failed('a@example.com', '192.0.2.1');
    expect(throttle.refuse('a@example.com', '192.0.2.1')).toBeNull();
  });

  it('N refusals of one key from one source in one window: only the first is audited, and it names what was limited', () => {
    const { throttle, clock } = throttleAt(1_000);
    lock(throttle, 'a@example.com', '192.0.2.1');
    const refusals = Array.from({ length: 50 }, (_, i) => ((clock.now = 1_000 + i), refuseAndAudit(throttle, 'a@example.com', '192.0.2.1')));
    expect(refusals.every((r) => r !== null && r.retryAfter > 0)).toBe(true);
    expect(refusals.filter((r) => r?.audit)).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ retryAfter: WINDOW, audit: true, ip: '192.0.2.1' });
    expect(refusals[0]?.limited.map((l) => l.kind)).toEqual(['account', 'ip']);
    expect(refusals[49]).toMatchObject({ retryAfter: WINDOW - 49, audit: false });
    // Asked again in the same second, refuse() gives the same wait (RFC 6585 §4 Retry-After).
    expect(throttle.refuse('a@example.com', '192.0.2.1')).toMatchObject({ retryAfter: WINDOW - 49, audit: false });
  });

  it('a refusal whose audit row was not written (no audited call) leaves the next one to audit', () => {
    const { throttle } = throttleAt(1_000);
    lock(throttle, 'a@example.com', '192.0.2.1');
    expect(throttle.refuse('a@example.com', '192.0.2.1')?.audit).toBe(true); // the write failed: audited() never called
    expect(refuseAndAudit(throttle, 'a@example.com', '192.0.2.1')?.audit).toBe(true);
    expect(refuseAndAudit(throttle, 'a@example.com', '192.0.2.1')?.audit).toBe(false);
  });

  it('an attacker locking a victim account does not silence the victim: another source is audited separately', () => {
    const { throttle } = throttleAt(1_000);
    lock(throttle, 'victim@example.com', '203.0.113.66'); // the attacker's guesses (each audited as evaluated failures)
    expect(refuseAndAudit(throttle, 'victim@example.com', '203.0.113.66')?.audit).toBe(true);
    expect(refuseAndAudit(throttle, 'victim@example.com', '203.0.113.66')?.audit).toBe(false);
    // The victim, from home, is refused too (the account is locked): that refusal is audited.
    expect(refuseAndAudit(throttle, 'victim@example.com', '198.51.100.7')?.audit).toBe(true);
    expect(refuseAndAudit(throttle, 'victim@example.com', '198.51.100.7')?.audit).toBe(false);
  });

  it(`an address spray against one account costs at most ${MAX_SOURCES_PER_KEY} rows per window`, () => {
    const { throttle } = throttleAt(1_000);
    lock(throttle, 'victim@example.com', null);
    const audited = Array.from({ length: 100 }, (_, i) => refuseAndAudit(throttle, 'victim@example.com', `2001:db8:${i.toString(16)}::1`)?.audit);
    expect(audited.filter(Boolean)).toHaveLength(MAX_SOURCES_PER_KEY);
  });

  it(`addresses of one IPv6 /64 are one audited source: they cannot use up the ${MAX_SOURCES_PER_KEY} sources and silence the owner`, () => {
    const { throttle } = throttleAt(1_000);
    lock(throttle, 'victim@example.com', null);
    const sprayed = Array.from({ length: 100 }, (_, i) => refuseAndAudit(throttle, 'victim@example.com', `2001:db8:6:6::${i.toString(16)}`)?.audit);
    expect(sprayed.filter(Boolean)).toHaveLength(1);
    expect(refuseAndAudit(throttle, 'victim@example.com', '198.51.100.7')?.audit).toBe(true); // the owner, from home
  });

  it('the account counters are bounded: the oldest window goes first, a lockout outlives fewer fresh accounts than the cap', () => {
    const { throttle } = throttleAt(1_000);
    lock(throttle, 'victim@example.com', '192.0.2.1');
    // Fresh accounts (in the server each failure is also counted against its address and costs a scrypt check).
    for (let i = 0; i < ACCOUNT_KEYS - 1; i++) throttle.failed(`spray-${i}@example.com`, null);
    expect(throttle.refuse('victim@example.com', null)?.limited.map((l) => l.kind)).toEqual(['account']);
    throttle.failed(`spray-${ACCOUNT_KEYS}@example.com`, null); // the cap reached: the oldest window, the victim's, goes
    expect(throttle.refuse('victim@example.com', null)).toBeNull();
  });

  it('passkey sign-in failures are counted per IPv6 /64, as the throttle counts addresses', () => {
    const { throttle } = throttleAt(1_000);
    expect(passkeyThrottleAccount(null, '2001:db8:1:2::1')).toBe(passkeyThrottleAccount(null, '2001:db8:1:2:ffff::9'));
    expect(passkeyThrottleAccount(null, '2001:db8:1:2::1')).not.toBe(passkeyThrottleAccount(null, '2001:db8:1:3::1'));
    expect(passkeyThrottleAccount('usr_1', '2001:db8:1:2::1')).toBe('passkey:usr_1');
    ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2::3'].forEach((ip) => throttle.failed(passkeyThrottleAccount(null, ip), null));
    expect(throttle.refuse(passkeyThrottleAccount(null, '2001:db8:1:2::abcd'), null)?.limited.map((l) => l.kind)).toEqual(['account']);
  });

  it('an IP locked by failures on several accounts is audited once for all of them', () => {
    const { throttle } = throttleAt(1_000);
    for (const account of ['x@example.com', 'y@example.com', 'z@example.com']) throttle.failed(account, '192.0.2.9');
    expect(refuseAndAudit(throttle, 'victim@example.com', '192.0.2.9')?.audit).toBe(true);
    expect(refuseAndAudit(throttle, 'other@example.com', '192.0.2.9')?.audit).toBe(false); // same key, same source, same window
  });

  it('counts IPv6 failures per /64: addresses of one subscriber share the IP limit (http/rate-limit-key.ts)', () => {
    const { throttle } = throttleAt(1_000);
    ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:ffff::9'].forEach((ip, i) => throttle.failed(`spray${i}@example.com`, ip));
    expect(throttle.refuse('fresh@example.com', '2001:db8:1:2::abcd')?.limited.map((l) => l.kind)).toEqual(['ip']);
    expect(throttle.refuse('fresh@example.com', '2001:db8:1:3::1')).toBeNull(); // another /64
  });

  it('a new window is audited again', () => {
    const { throttle, clock } = throttleAt(1_000);
    lock(throttle, 'a@example.com', '192.0.2.1');
    expect(refuseAndAudit(throttle, 'a@example.com', '192.0.2.1')?.audit).toBe(true);
    expect(refuseAndAudit(throttle, 'a@example.com', '192.0.2.1')?.audit).toBe(false);
    clock.now = 1_000 + WINDOW;
    expect(throttle.refuse('a@example.com', '192.0.2.1')).toBeNull();
    lock(throttle, 'a@example.com', '192.0.2.1');
    expect(refuseAndAudit(throttle, 'a@example.com', '192.0.2.1')?.audit).toBe(true);
    expect(refuseAndAudit(throttle, 'a@example.com', '192.0.2.1')?.audit).toBe(false);
  });

  it('a successful login forgets the account: a later lock-out of it is audited again, even in the same second', () => {
    const { throttle } = throttleAt(1_000);
    lock(throttle, 'a@example.com', null);
    expect(refuseAndAudit(throttle, 'a@example.com', null)?.audit).toBe(true);
    throttle.succeeded('a@example.com');
    expect(throttle.refuse('a@example.com', null)).toBeNull();
    lock(throttle, 'a@example.com', null);
    expect(refuseAndAudit(throttle, 'a@example.com', null)?.audit).toBe(true);
  });

  it('refusals for lack of capacity (server_busy) are audited once per source IP and minute', () => {
    const { throttle, clock } = throttleAt(1_200);
    expect([throttle.auditBusy('192.0.2.1'), throttle.auditBusy('192.0.2.1'), throttle.auditBusy('192.0.2.2')]).toEqual([true, false, true]);
    clock.now = 1_260;
    expect(throttle.auditBusy('192.0.2.1')).toBe(true);
    // IPv6: once per /64.
    expect([throttle.auditBusy('2001:db8:5:5::1'), throttle.auditBusy('2001:db8:5:5::2'), throttle.auditBusy('2001:db8:5:6::1')]).toEqual([true, false, true]);
  });
});
