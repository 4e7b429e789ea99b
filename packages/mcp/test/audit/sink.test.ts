/**
 * The audit sink against the real authorization server (its Hono app served on a loopback port we
 * can close and reopen to play "AS down" / "AS up"), with a real spool directory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, copyFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { freePort, startTestServer, type TestServer } from '../../../server/test/helpers/test-server.ts';
import type { AuditEventRecord } from '../../../server/src/storage/records.ts';
import { createAuditSink, type MandateAuditSink } from '../../src/audit/sink.ts';
import { toolCall } from '../support/audit-events.ts';

const SECRET = 'hr-mcp-audit-secret-0123456789-abcdefghij';
const CREDENTIALS = { clientId: 'hr-mcp', clientSecret: SECRET };

let as: TestServer;
let port: number;
let gate: ServerType | null = null;

/** "AS up": the real AS app answers on `port`. */
async function asUp(): Promise<void> {
  if (gate) return;
  gate = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: as.server.app.fetch, port, hostname: '127.0.0.1' }, () => resolve(s));
  });
}
/** "AS down": nothing listens on `port` (connection refused). */
async function asDown(): Promise<void> {
  const s = gate;
  gate = null;
  if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
}

beforeAll(async () => {
  as = await startTestServer({
    clients: [{ client_id: 'hr-mcp', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials'], scope: 'mandate:audit' }],
  });
  port = await freePort();
});
afterAll(async () => {
  await asDown();
  await as.close();
});

function newSink(dir: string, errors: Error[] = []): MandateAuditSink {
  return createAuditSink({ endpoint: `http://127.0.0.1:${port}/audit/events`, credentials: CREDENTIALS, spoolDir: dir, flushIntervalMs: 60_000, batchSize: 2, onError: (e) => errors.push(e) });
}

async function rowsFor(tool: string): Promise<AuditEventRecord[]> {
  const rows = await as.server.ctx.storage.audit.list({ event: 'mcp.tool_call', limit: 10_000 });
  return rows.filter((r) => r.data?.tool === tool);
}

describe('AU-1 tool-call audit delivered to the authorization server in batches', () => {
  it('records user, agent, client, tool, decision and reason, never the entity attributes', async () => {
    await asUp();
    const sink = newSink(mkdtempSync(join(tmpdir(), 'mandate-spool-')));
    sink.record(toolCall('list_employees'));
    sink.record(toolCall('list_employees', { decision: 'deny', reason: 'forbidden by policy hr.cedar#no-delete' }));
    sink.record(toolCall('list_employees', { decision: 'challenge', reason: 'insufficient_user_authentication' }));
    await sink.close();
    const rows = await rowsFor('list_employees');
    expect(rows.map((r) => [r.userId, r.agentId, r.clientId, r.result, r.reason, r.data?.decision])).toEqual([
      ['usr_manager', 'agt_sales', 'claude-desktop', 'success', null, 'allow'],
      ['usr_manager', 'agt_sales', 'claude-desktop', 'failure', 'forbidden by policy hr.cedar#no-delete', 'deny'],
      ['usr_manager', 'agt_sales', 'claude-desktop', 'failure', 'insufficient_user_authentication', 'challenge'],
    ]);
    expect(rows[0]?.data?.entity).toEqual({ type: 'HR::Employee', id: 'emp-7' });
    expect(JSON.stringify(rows)).not.toContain('123000');
    expect(rows[0]?.resource).toBe('http://127.0.0.1:4410/mcp');
    expect(rows[0]?.data?.reported_by).toBe('hr-mcp');
  });
});

describe('TS-1 authorization server unavailable: audit events are spooled to disk, then delivered exactly once', () => {
  it('AS down -> spool -> AS up -> delivered once; a redelivered segment is not recorded twice', async () => {
    await asDown();
    const dir = mkdtempSync(join(tmpdir(), 'mandate-spool-'));
    const errors: Error[] = [];
    const sink = newSink(dir, errors);
    for (let i = 0; i < 5; i += 1) sink.record(toolCall('update_status', { reason: `call ${i}` }));
    await sink.flush();
    expect(sink.backlog()).toBe(1);
    expect(errors.some((e) => e.message.includes('unavailable'))).toBe(true);
    const [segment] = readdirSync(dir);
    const spooled = readFileSync(join(dir, segment as string), 'utf8').trim().split('\n');
    expect(spooled).toHaveLength(5);
    expect(await rowsFor('update_status')).toEqual([]);

    // Keep a copy: it plays a crash after sending and before deleting the segment.
    const copy = join(tmpdir(), `copy-${segment}`);
    copyFileSync(join(dir, segment as string), copy);

    await asUp();
    await sink.flush();
    expect(sink.backlog()).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
    expect((await rowsFor('update_status')).map((r) => r.reason)).toEqual(['call 0', 'call 1', 'call 2', 'call 3', 'call 4']);

    copyFileSync(copy, join(dir, segment as string));
    await sink.close();
    expect(readdirSync(dir)).toEqual([]);
    expect(await rowsFor('update_status')).toHaveLength(5);
  });

  it('a new process delivers what the previous one left in the spool (active segment included)', async () => {
    await asDown();
    const dir = mkdtempSync(join(tmpdir(), 'mandate-spool-'));
    const first = newSink(dir);
    first.record(toolCall('export_employees'));
    // The process "dies" here: no flush, no close; the event is only in the active segment.
    expect(readdirSync(dir).filter((n) => n.endsWith('.active.jsonl'))).toHaveLength(1);
    await asUp();
    const errors: Error[] = [];
    const second = newSink(dir, errors);
    await second.close();
    expect(errors).toEqual([]);
    expect(await rowsFor('export_employees')).toHaveLength(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an event recorded after close is kept in the spool and delivered by the next start', async () => {
    await asUp();
    const dir = mkdtempSync(join(tmpdir(), 'mandate-spool-'));
    const errors: Error[] = [];
    const first = newSink(dir, errors);
    await first.close();
    first.record(toolCall('late_tool'));
    expect(errors.some((e) => e.message.includes('after close'))).toBe(true);
    expect(await rowsFor('late_tool')).toEqual([]);
    const second = newSink(dir);
    await second.close();
    expect(await rowsFor('late_tool')).toHaveLength(1);
  });

  it('skips a torn last line (a crash mid-write) and delivers the rest', async () => {
    await asUp();
    const dir = mkdtempSync(join(tmpdir(), 'mandate-spool-'));
    const errors: Error[] = [];
    const sink = newSink(dir, errors);
    sink.record(toolCall('torn_tool'));
    await sink.flush();
    writeFileSync(join(dir, '000000000000001-1-aaaa.jsonl'), '{"id":"torn-0000-1","time":1,"tool":"torn_tool","decision":"allow"}\n{"id":"torn-');
    await sink.close();
    expect((await rowsFor('torn_tool')).length).toBe(2);
    expect(errors.some((e) => e.message.includes('unreadable'))).toBe(true);
  });

  it('a segment the AS refuses as malformed is set aside, never deleted', async () => {
    await asUp();
    const dir = mkdtempSync(join(tmpdir(), 'mandate-spool-'));
    const errors: Error[] = [];
    const sink = newSink(dir, errors);
    writeFileSync(join(dir, '000000000000002-1-bbbb.jsonl'), '{"id":"bad-decision-1","time":1,"tool":"x","decision":"maybe"}\n');
    await sink.close();
    expect(readdirSync(dir)).toEqual(['000000000000002-1-bbbb.jsonl.rejected']);
    expect(errors.some((e) => e.message.includes('malformed'))).toBe(true);
  });
});
