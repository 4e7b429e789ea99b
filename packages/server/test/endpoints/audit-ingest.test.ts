/**
 * POST /audit/events: resource servers report tool calls into the hash-chained audit trail (AU-1).
 * Real server, real SQLite storage, real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type Backend, type TestServer } from '../helpers/test-server.ts';
import { verifyAuditRows } from '../../src/audit/chain.ts';

const RS_SECRET = 'audit-rs-secret-0123456789-abcdefghijklmnop';
const OTHER_SECRET = 'other-rs-secret-0123456789-abcdefghijklmnop';

describe.each<Backend>(['sqlite', 'postgres'])('audit ingest on %s storage', (backend) => {
  let ts: TestServer;
  let url: string;

  beforeAll(async () => {
    ts = await startTestServer({
      clients: [
        { client_id: 'hr-mcp', client_secret: RS_SECRET, token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials'], scope: 'mandate:audit' },
        { client_id: 'no-audit', client_secret: OTHER_SECRET, token_endpoint_auth_method: 'client_secret_post', grant_types: ['client_credentials'], scope: '' },
        { client_id: 'public-app', token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], redirect_uris: ['http://127.0.0.1/cb'], application_type: 'native' },
      ],
    }, backend);
    url = `${ts.issuer}/audit/events`;
  });
  afterAll(() => ts.close());

  function basic(id: string, secret: string): string {
    return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
  }

  async function post(body: unknown, auth: string | null = basic('hr-mcp', RS_SECRET)): Promise<{ status: number; body: Record<string, unknown> }> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (auth) headers.authorization = auth;
    const res = await fetch(url, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  function event(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { id, time: 1_700_000_000, tool: 'get_employee', decision: 'allow', userId: 'usr_alice', agentId: 'agt_sales', clientId: 'claude', scope: 'hr:read', resource: 'http://127.0.0.1:4410/mcp', ...extra };
  }

  async function toolCallRows(): Promise<Awaited<ReturnType<typeof ts.server.ctx.storage.audit.list>>> {
    return ts.server.ctx.storage.audit.list({ event: 'mcp.tool_call', limit: 1000 });
  }

  describe('AU-1 audit ingest: tool calls from resource servers enter the audit chain', () => {
    it('appends each event with user, agent, client, tool, decision, reason and the reporting resource server', async () => {
      const res = await post({ events: [event('evt-0001-aaaa'), event('evt-0002-aaaa', { decision: 'deny', reason: 'Cedar forbid: salary', tool: 'delete_employee' })] });
      expect(res).toEqual({ status: 200, body: { accepted: 2, duplicates: 0 } });
      const rows = (await toolCallRows()).filter((r) => String(r.data?.event_id).startsWith('evt-000'));
      expect(rows.map((r) => [r.userId, r.agentId, r.clientId, r.result, r.reason, r.data?.tool, r.data?.reported_by, r.data?.occurred_at])).toEqual([
        ['usr_alice', 'agt_sales', 'claude', 'success', null, 'get_employee', 'hr-mcp', 1_700_000_000],
        ['usr_alice', 'agt_sales', 'claude', 'failure', 'Cedar forbid: salary', 'delete_employee', 'hr-mcp', 1_700_000_000],
      ]);
      const chain = await ts.server.ctx.storage.audit.list({ limit: 10_000 });
      expect(verifyAuditRows(chain).broken).toBeNull();
    });

    it('refuses JSON-member credentials from a client registered for HTTP Basic (RFC 7591 §2)', async () => {
      const res = await post({ client_id: 'hr-mcp', client_secret: RS_SECRET, events: [event('evt-post-0001')] }, null);
      // hr-mcp registered client_secret_basic: any other method is refused (RFC 7591 §2).
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
    });
  });

  describe('AU-1 audit ingest idempotency: at-least-once delivery is recorded exactly once', () => {
    it('ignores a redelivered event id, within a batch and across batches', async () => {
      const first = await post({ events: [event('evt-dup-0001'), event('evt-dup-0001')] });
      expect(first.body).toEqual({ accepted: 1, duplicates: 1 });
      const again = await post({ events: [event('evt-dup-0001'), event('evt-dup-0002')] });
      expect(again.body).toEqual({ accepted: 1, duplicates: 1 });
      const rows = (await toolCallRows()).filter((r) => String(r.data?.event_id).startsWith('evt-dup-'));
      expect(rows.map((r) => r.data?.event_id)).toEqual(['evt-dup-0001', 'evt-dup-0002']);
    });
  });

  describe('RFC 6749 §2.3 audit ingest client authentication and permission', () => {
    it('refuses a request without client credentials (401 invalid_client)', async () => {
      const res = await post({ events: [event('evt-anon-0001')] }, null);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
    });

    it('refuses a wrong secret (401 invalid_client)', async () => {
      const res = await post({ events: [event('evt-bad-0001')] }, basic('hr-mcp', `${RS_SECRET}x`));
      expect(res.status).toBe(401);
    });

    it('refuses a confidential client without the mandate:audit scope (403 access_denied)', async () => {
      const res = await post({ client_id: 'no-audit', client_secret: OTHER_SECRET, events: [event('evt-noscope-01')] }, null);
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('access_denied');
    });

    it('refuses a public client (403 access_denied)', async () => {
      const res = await post({ client_id: 'public-app', events: [event('evt-public-01')] }, null);
      expect(res.status).toBe(403);
      const rows = (await toolCallRows()).filter((r) => ['evt-public-01', 'evt-noscope-01', 'evt-bad-0001', 'evt-anon-0001'].includes(String(r.data?.event_id)));
      expect(rows).toEqual([]);
    });
  });

  describe('AU-1 audit ingest bad input: 400 invalid_request, nothing recorded', () => {
    const cases: [string, unknown][] = [
      ['not JSON', '{"events": ['],
      ['no events', {}],
      ['empty batch', { events: [] }],
      ['bad decision', { events: [event('evt-bad-dec-1', { decision: 'maybe' })] }],
      ['short id', { events: [event('x')] }],
      ['unknown member', { events: [event('evt-unknown-1', { password: 'hunter2' })] }],
      ['credential not a string', { client_id: 42, events: [event('evt-cred-0001')] }],
    ];
    for (const [name, body] of cases) {
      it(`refuses ${name}`, async () => {
        const before = (await toolCallRows()).length;
        const res = await post(body);
        expect(res.status).toBe(400);
        expect(res.body.error).toBe('invalid_request');
        expect((await toolCallRows()).length).toBe(before);
      });
    }

    it('refuses a non-JSON content type', async () => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain', authorization: basic('hr-mcp', RS_SECRET) }, body: 'x' });
      expect(res.status).toBe(400);
    });
  });
});
