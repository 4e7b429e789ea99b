/**
 * H2: one oversized audit event must never keep the others out of the authorization server's trail.
 * The AS (its real Hono app, on a loopback port) answers 400 to a whole batch when one event breaks
 * a limit of audit-ingest.ts; the sink clamps every field before spooling, cuts batches by size, and
 * on a 400 halves the batch until only the refused event is set aside.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { freePort, startTestServer, type TestServer } from '../../../server/test/helpers/test-server.ts';
import { ToolCallEventSchema } from '../../../server/src/endpoints/audit-ingest.ts';
import type { AuditEventRecord } from '../../../server/src/storage/records.ts';
import { createAuditSink, type MandateAuditSink } from '../../src/audit/sink.ts';
import { toWireEvent, WIRE_LIMITS } from '../../src/audit/wire.ts';
import { TRUNCATION_MARK } from '../../src/core/clamp-text.ts';
import { toolCall } from '../support/audit-events.ts';

const CREDENTIALS = { clientId: 'hr-mcp', clientSecret: 'hr-mcp-audit-secret-0123456789-abcdefghij' };

let as: TestServer;
let http: ServerType;
let port: number;
/** Every batch size the AS was sent, to see the halving. */
const posts: number[] = [];

beforeAll(async () => {
  as = await startTestServer({
    clients: [{ client_id: 'hr-mcp', client_secret: CREDENTIALS.clientSecret, token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials'], scope: 'mandate:audit' }],
  });
  port = await freePort();
  http = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: as.server.app.fetch, port, hostname: '127.0.0.1' }, () => resolve(s));
  });
});
afterAll(async () => {
  await new Promise<void>((resolve) => http.close(() => resolve()));
  await as.close();
});

function newSink(dir: string, errors: Error[] = [], batchSize = 100): MandateAuditSink {
  const counting: typeof fetch = async (input, init) => {
    posts.push((JSON.parse(String(init?.body)) as { events: unknown[] }).events.length);
    return fetch(input, init);
  };
  return createAuditSink({ endpoint: `http://127.0.0.1:${port}/audit/events`, credentials: CREDENTIALS, spoolDir: dir, flushIntervalMs: 60_000, batchSize, fetch: counting, onError: (e) => errors.push(e) });
}

async function rows(tool: string): Promise<AuditEventRecord[]> {
  return (await as.server.ctx.storage.audit.list({ limit: 10_000 })).filter((r) => r.data?.tool === tool);
}

describe('H2 oversized audit events are clamped to the AS limits, never drop other events', () => {
  it('an oversized event and a normal one: the normal one is delivered intact, the oversized one clamped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mandate-spool-'));
    const errors: Error[] = [];
    const sink = newSink(dir, errors);
    sink.record(toolCall('delete_employee'));
    const argument = 'A'.repeat(3000);
    sink.record(
      toolCall('view_employee', {
        decision: 'deny',
        reason: `resolving the resource failed: unknown employee ${argument}`,
        user: `usr_${'u'.repeat(400)}`,
        entity: { type: 'HR::Employee', id: argument },
        scopes: Array.from({ length: 1000 }, (_, i) => `scope:${i}`),
        actorChain: Array.from({ length: 100 }, (_, i) => `agt_${i}`),
      }),
    );
    await sink.close();
    expect(errors).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);

    const [normal] = await rows('delete_employee');
    expect(normal?.userId).toBe('usr_manager');
    expect(normal?.data?.truncated).toBeUndefined();

    const [clamped] = await rows('view_employee');
    expect(clamped?.result).toBe('failure');
    expect(clamped?.reason).toHaveLength(WIRE_LIMITS.reason);
    expect(clamped?.reason?.endsWith(TRUNCATION_MARK)).toBe(true);
    expect(clamped?.userId).toHaveLength(WIRE_LIMITS.id);
    expect(clamped?.grantedScope).toHaveLength(WIRE_LIMITS.scope);
    expect((clamped?.data?.entity as { id: string }).id).toHaveLength(WIRE_LIMITS.dataString);
    expect(clamped?.data?.actor_chain).toHaveLength(WIRE_LIMITS.actorChain);
    expect(clamped?.data?.truncated).toEqual(['data.actor_chain', 'data.entity', 'reason', 'scope', 'userId']);
  });

  it('toWireEvent output always passes the AS ingest schema (a 5,000-character argument in the reason)', () => {
    const wire = toWireEvent(toolCall('view', { decision: 'deny', reason: `unknown employee ${'A'.repeat(5000)}`, clientId: '' }));
    expect(ToolCallEventSchema.safeParse(wire).success).toBe(true);
  });

  it('never splits a surrogate pair when clamping', () => {
    const wire = toWireEvent(toolCall('emoji', { reason: '😀'.repeat(3000) }));
    const reason = wire.reason as string;
    expect(reason.length).toBeLessThanOrEqual(WIRE_LIMITS.reason);
    expect(reason.slice(0, -TRUNCATION_MARK.length)).toBe('😀'.repeat((reason.length - TRUNCATION_MARK.length) / 2));
  });

  it('a refused event is set aside alone: the batch is halved on 400 and every other event is delivered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mandate-spool-'));
    const errors: Error[] = [];
    const good = (i: number) => JSON.stringify({ id: `bisect-good-${i}`, time: 1, tool: 'bisect_tool', decision: 'allow' });
    const bad = JSON.stringify({ id: 'bisect-bad-0', time: 1, tool: 'bisect_tool', decision: 'maybe' });
    writeFileSync(join(dir, '000000000000003-1-cccc.jsonl'), [good(0), good(1), good(2), bad, good(3), good(4), good(5), good(6)].join('\n') + '\n');
    posts.length = 0;
    await newSink(dir, errors).close();
    expect((await rows('bisect_tool')).map((r) => r.data?.event_id).sort()).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `bisect-good-${i}`));
    expect(readdirSync(dir)).toEqual(['000000000000003-1-cccc.jsonl.rejected']);
    const setAside = readFileSync(join(dir, '000000000000003-1-cccc.jsonl.rejected'), 'utf8').trim().split('\n');
    expect(setAside.map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(['bisect-bad-0']);
    expect(posts).toEqual([8, 4, 2, 2, 1, 1, 4]);
    expect(errors.some((e) => e.message.includes('refused 1 audit event(s)') && e.message.includes('the other 7 were delivered'))).toBe(true);
  });

  it('a spooled line written unclamped (an older version) is clamped before delivery', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mandate-spool-'));
    const line = { id: 'old-spool-line-1', time: 1, tool: 'old_tool', decision: 'deny', reason: 'x'.repeat(3000), data: { entity: { type: 'T', id: 'y'.repeat(400) }, secret: 'dropped' } };
    writeFileSync(join(dir, '000000000000004-1-dddd.jsonl'), `${JSON.stringify(line)}\n`);
    const errors: Error[] = [];
    await newSink(dir, errors).close();
    expect(errors).toEqual([]);
    const [row] = await rows('old_tool');
    expect(row?.reason).toHaveLength(WIRE_LIMITS.reason);
    expect(row?.data?.secret).toBeUndefined();
    expect(row?.data?.truncated).toEqual(['data.entity', 'reason']);
  });

  it('batches are cut by size too: 100 maximal events (over 1 MiB together) are all delivered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mandate-spool-'));
    const errors: Error[] = [];
    const sink = newSink(dir, errors, 100);
    posts.length = 0;
    // '€' is 3 bytes in UTF-8: each event is ~18 KB of JSON after clamping.
    for (let i = 0; i < 100; i += 1) sink.record(toolCall('big_tool', { reason: '€'.repeat(5000), scopes: ['€'.repeat(5000)] }));
    await sink.close();
    expect(errors).toEqual([]);
    expect(posts.length).toBeGreaterThan(1);
    expect(await rows('big_tool')).toHaveLength(100);
  });
});

describe('L6 security events reach the AS trail under their own names', () => {
  it('mcp.auth_failure and mcp.tools_list are delivered with the tool-call batch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mandate-spool-'));
    const errors: Error[] = [];
    const sink = newSink(dir, errors);
    sink.recordSecurity({ time: 1_700_000_000, event: 'mcp.auth_failure', error: 'invalid_dpop_proof', reason: 'the DPoP proof was already used', scheme: 'DPoP', resource: 'http://127.0.0.1:4410/mcp', ip: '10.0.0.9' });
    sink.recordSecurity({ time: 1_700_000_000, event: 'mcp.tools_list', tools: ['list_employees'], reason: undefined, user: 'usr_l6', agent: undefined, actorChain: [], clientId: 'claude-desktop', scopes: ['hr:read'], resource: 'http://127.0.0.1:4410/mcp', jti: 'jti-l6', ip: undefined });
    sink.record(toolCall('l6_tool'));
    await sink.close();
    expect(errors).toEqual([]);
    const all = await as.server.ctx.storage.audit.list({ limit: 10_000 });
    const failure = all.find((r) => r.event === 'mcp.auth_failure');
    expect(failure).toMatchObject({ result: 'failure', reason: 'the DPoP proof was already used', ip: '10.0.0.9', userId: null });
    expect(failure?.data).toMatchObject({ error: 'invalid_dpop_proof', scheme: 'DPoP' });
    const listed = all.find((r) => r.event === 'mcp.tools_list');
    expect(listed).toMatchObject({ userId: 'usr_l6', result: 'success' });
    expect(listed?.data?.tools).toEqual(['list_employees']);
    expect(await rows('l6_tool')).toHaveLength(1);
  });
});
