/**
 * Audit amplification: a refusal costs the caller nothing, so like refusals (same error,
 * description, client network: an IPv4 address, an IPv6 /64) are recorded once per interval, the
 * rest counted into the next event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenServer } from '../../../server/test/token/fixtures.ts';
import type { SecurityAuditEvent, SecurityAuditSink } from '../../src/audit/events.ts';
import { AuthFailureCoalescer, type CoalescedRefusal } from '../../src/audit/auth-failure-coalescer.ts';
import { toWireEvent } from '../../src/audit/wire.ts';
import { INITIALIZE, rpc, startAs, startMcp, type RunningMcp } from '../support/setup.ts';

const T = 1_800_000_000;

/** The events to record, reduced to what the assertions look at. */
const seen = (events: CoalescedRefusal[]) => events.map((e) => ({ ip: e.ip, suppressed: e.suppressed, ...(e.aggregated ? { aggregated: true } : {}), ...(e.summary ? { summary: true } : {}) }));

describe('AuthFailureCoalescer', () => {
  it('records the first like refusal of an interval and counts the rest into the next recorded one', () => {
    const c = new AuthFailureCoalescer({ intervalSeconds: 60 });
    expect(seen(c.admit('invalid_token', 'bad signature', '192.0.2.1', T))).toEqual([{ ip: '192.0.2.1', suppressed: 0 }]);
    for (let i = 1; i <= 99; i++) expect(c.admit('invalid_token', 'bad signature', '192.0.2.1', T + (i % 59))).toEqual([]);
    expect(seen(c.admit('invalid_token', 'bad signature', '192.0.2.1', T + 60))).toEqual([{ ip: '192.0.2.1', suppressed: 99 }]);
    expect(c.admit('invalid_token', 'bad signature', '192.0.2.1', T + 61)).toEqual([]);
    expect(seen(c.admit('invalid_token', 'bad signature', '192.0.2.1', T + 500))).toEqual([{ ip: '192.0.2.1', suppressed: 1 }]);
  });

  it('keeps kinds apart: another address, error or description is recorded on its own', () => {
    const c = new AuthFailureCoalescer();
    expect(seen(c.admit('invalid_token', 'bad signature', '192.0.2.1', T))).toEqual([{ ip: '192.0.2.1', suppressed: 0 }]);
    expect(seen(c.admit('invalid_token', 'bad signature', '192.0.2.2', T))).toEqual([{ ip: '192.0.2.2', suppressed: 0 }]);
    expect(seen(c.admit('invalid_token', 'bad signature', undefined, T))).toEqual([{ ip: undefined, suppressed: 0 }]);
    expect(c.admit('invalid_token', 'the access token has expired', '192.0.2.1', T)).toHaveLength(1);
    expect(c.admit('invalid_dpop_proof', 'bad signature', '192.0.2.1', T)).toHaveLength(1);
  });

  it('a count no later refusal of its kind reports is recorded as a summary once its window has ended, and its room freed', () => {
    const c = new AuthFailureCoalescer({ intervalSeconds: 60 });
    c.admit('invalid_token', 'bad signature', '192.0.2.1', T);
    for (let i = 0; i < 999; i++) c.admit('invalid_token', 'bad signature', '192.0.2.1', T + 1);
    // Another kind, after the window ended: the sweep reports the 999 first.
    const out = c.admit('invalid_token', 'bad signature', '198.51.100.9', T + 61);
    expect(seen(out)).toEqual([
      { ip: '192.0.2.1', suppressed: 999, summary: true },
      { ip: '198.51.100.9', suppressed: 0 },
    ]);
    expect(out[0]).toMatchObject({ error: 'invalid_token', description: 'bad signature' });
    // Reported once: the window is gone, the same address starts afresh.
    expect(seen(c.admit('invalid_token', 'bad signature', '192.0.2.1', T + 62))).toEqual([{ ip: '192.0.2.1', suppressed: 0 }]);
  });

  it('bounded: past maxKeys, new kinds share one aggregated window per error code, without an address', () => {
    const c = new AuthFailureCoalescer({ maxKeys: 3 });
    for (let i = 0; i < 3; i++) expect(c.admit('invalid_token', 'x', `192.0.2.${i}`, T)).toHaveLength(1);
    const first = c.admit('invalid_token', 'x', '198.51.100.1', T);
    expect(seen(first)).toEqual([{ ip: undefined, suppressed: 0, aggregated: true }]);
    expect(first[0]?.description).toBe('invalid_token for more client addresses than are tracked one by one');
    // A flood from ever new addresses: one event per interval and error code.
    for (let i = 2; i < 1000; i++) expect(c.admit('invalid_token', 'x', `198.51.100.${i}`, T + 1)).toEqual([]);
    expect(c.admit('invalid_dpop_proof', 'x', '198.51.100.7', T + 1)).toHaveLength(1);
    // The windows end with the interval: their room is freed and the aggregate's count reported.
    expect(seen(c.admit('invalid_token', 'x', '203.0.113.1', T + 61))).toEqual([
      { ip: undefined, suppressed: 998, aggregated: true, summary: true },
      { ip: '203.0.113.1', suppressed: 0 },
    ]);
  });

  it('when full, sweeps as soon as a window has ended rather than pool a new address', () => {
    const c = new AuthFailureCoalescer({ intervalSeconds: 60, maxKeys: 2 });
    c.admit('invalid_token', 'x', '192.0.2.1', T); // A, ends at T+60
    c.admit('invalid_token', 'x', '192.0.2.2', T + 30); // B, ends at T+90
    c.admit('invalid_token', 'x', '192.0.2.3', T + 70); // the periodic sweep frees A; C ends at T+130
    // Full (B, C), the next periodic sweep not due before T+130, but B ended at T+90: D is tracked on its own.
    expect(seen(c.admit('invalid_token', 'x', '192.0.2.4', T + 100))).toEqual([{ ip: '192.0.2.4', suppressed: 0 }]);
  });

  it('an IPv6 /64 is one kind: a flood from ever new addresses of one network cannot fill the table', () => {
    const c = new AuthFailureCoalescer({ intervalSeconds: 60, maxKeys: 3 });
    // The recorded event carries the actual address, not the network.
    expect(seen(c.admit('invalid_token', 'x', '2001:db8:1:2::1', T))).toEqual([{ ip: '2001:db8:1:2::1', suppressed: 0 }]);
    for (let i = 2; i < 1002; i++) expect(c.admit('invalid_token', 'x', `2001:db8:1:2:${i.toString(16)}::1`, T + 1)).toEqual([]);
    // Other networks still get kinds of their own: the /64 took one, nothing was pooled.
    expect(seen(c.admit('invalid_token', 'x', '2001:db8:1:3::1', T + 1))).toEqual([{ ip: '2001:db8:1:3::1', suppressed: 0 }]);
    expect(seen(c.admit('invalid_token', 'x', '198.51.100.1', T + 1))).toEqual([{ ip: '198.51.100.1', suppressed: 0 }]);
    // The next like refusal carries the count of the whole network, and its own address.
    expect(seen(c.admit('invalid_token', 'x', '2001:DB8:1:2:0:0:0:ABCD', T + 60))).toEqual([{ ip: '2001:DB8:1:2:0:0:0:ABCD', suppressed: 1000 }]);
  });

  it('a summary names the one address its refusals came from, or their /64 when they came from several', () => {
    const c = new AuthFailureCoalescer({ intervalSeconds: 60 });
    c.admit('invalid_token', 'x', '2001:db8:1:2::1', T);
    for (let i = 0; i < 5; i++) c.admit('invalid_token', 'x', '2001:db8:1:2::9', T + 1);
    c.admit('invalid_token', 'x', '2001:db8:5:5::1', T);
    c.admit('invalid_token', 'x', '2001:db8:5:5::2', T + 1);
    c.admit('invalid_token', 'x', '2001:db8:5:5::3', T + 1);
    expect(seen(c.admit('invalid_dpop_proof', 'x', '203.0.113.1', T + 61))).toEqual([
      { ip: '2001:db8:1:2::9', suppressed: 5, summary: true },
      { ip: '2001:db8:5:5::/64', suppressed: 2, summary: true },
      { ip: '203.0.113.1', suppressed: 0 },
    ]);
  });

  it('an IPv4 peer is one kind whether a dual-stack socket reports it IPv4-mapped or not', () => {
    const c = new AuthFailureCoalescer();
    expect(seen(c.admit('invalid_token', 'x', '192.0.2.1', T))).toEqual([{ ip: '192.0.2.1', suppressed: 0 }]);
    expect(c.admit('invalid_token', 'x', '::ffff:192.0.2.1', T)).toEqual([]);
    expect(c.admit('invalid_token', 'x', '::ffff:c000:201', T)).toEqual([]);
    // Still one address each: 192.0.2.2 is not 192.0.2.1's kind.
    expect(c.admit('invalid_token', 'x', '::ffff:192.0.2.2', T)).toHaveLength(1);
  });

  it('the counts reach the authorization server in the event data', () => {
    const wire = toWireEvent({ time: T, event: 'mcp.auth_failure', error: 'invalid_token', reason: 'bad signature', scheme: 'Bearer', resource: 'https://hr.example/mcp', ip: '192.0.2.1', suppressed: 41 });
    expect(wire.data).toEqual({ error: 'invalid_token', scheme: 'Bearer', suppressed: 41 });
    const summary = toWireEvent({ time: T, event: 'mcp.auth_failure', error: 'invalid_token', reason: 'x', scheme: undefined, resource: 'https://hr.example/mcp', ip: undefined, suppressed: 7, aggregated: true, summary: true });
    expect(summary.data).toEqual({ error: 'invalid_token', suppressed: 7, aggregated: true, summary: true });
  });
});

describe('mcp.auth_failure under a flood of forged tokens', () => {
  let as: TokenServer;
  let rs: RunningMcp;
  let offset = 0;
  const security: SecurityAuditEvent[] = [];
  beforeAll(async () => {
    as = await startAs();
    const sink: SecurityAuditSink = { record: () => undefined, recordSecurity: (e) => security.push(e) };
    rs = await startMcp(as, 'node', { hooks: { audit: sink }, now: () => Math.floor(Date.now() / 1000) + offset });
  });
  afterAll(async () => {
    await rs?.close();
    await as?.close();
  });

  it('20 forged requests from one address are one event; the next interval\'s event carries the 19 others', async () => {
    const forged = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c3JfMSJ9.c2lnbmF0dXJl';
    for (let i = 0; i < 20; i++) expect((await rpc(rs.url, INITIALIZE, { authorization: `Bearer ${forged}` })).status).toBe(401);
    expect(security).toHaveLength(1);
    expect(security[0]).toMatchObject({ event: 'mcp.auth_failure', error: 'invalid_token' });
    expect(security[0]).not.toHaveProperty('suppressed');
    offset = 61;
    expect((await rpc(rs.url, INITIALIZE, { authorization: `Bearer ${forged}` })).status).toBe(401);
    expect(security).toHaveLength(2);
    expect(security[1]).toMatchObject({ event: 'mcp.auth_failure', error: 'invalid_token', suppressed: 19 });
  });
});
