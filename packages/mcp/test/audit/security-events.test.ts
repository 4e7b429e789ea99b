/**
 * L6: requests refused at authentication are audited (RFC 6750 §3.1 invalid_token, wrong audience,
 * RFC 9449 §7.1 invalid DPoP proofs) through the sink's `recordSecurity` hook, with no token
 * material; the 401 of a request without any token (RFC 9728 discovery) is not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenServer } from '../../../server/test/token/fixtures.ts';
import type { ToolAuditEvent } from '../../src/core/types.ts';
import type { SecurityAuditEvent, SecurityAuditSink } from '../../src/audit/events.ts';
import { INITIALIZE, LIST_TOOLS, machineToken, rpc, startAs, startMcp, type RunningMcp } from '../support/setup.ts';

let as: TokenServer;
let rs: RunningMcp;
const security: SecurityAuditEvent[] = [];
const toolCalls: ToolAuditEvent[] = [];

beforeAll(async () => {
  as = await startAs();
  const sink: SecurityAuditSink = { record: (e) => toolCalls.push(e), recordSecurity: (e) => security.push(e) };
  rs = await startMcp(as, 'node', { hooks: { audit: sink } });
});
afterAll(async () => {
  await rs?.close();
  await as?.close();
});

describe('L6 authentication failures are security audit events', () => {
  it('a forged token: mcp.auth_failure invalid_token, scheme and address, never the token', async () => {
    security.length = 0;
    const forged = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c3JfMSJ9.c2lnbmF0dXJl';
    const res = await rpc(rs.url, INITIALIZE, { authorization: `Bearer ${forged}` });
    expect(res.status).toBe(401);
    expect(security).toHaveLength(1);
    expect(security[0]).toMatchObject({ event: 'mcp.auth_failure', error: 'invalid_token', scheme: 'Bearer', resource: rs.url });
    expect(JSON.stringify(security)).not.toContain(forged.split('.')[1]);
  });

  it('a token issued for another resource: the wrong audience is audited', async () => {
    security.length = 0;
    const token = await machineToken(as, 'hr:read', 'https://other.example/mcp');
    const res = await rpc(rs.url, INITIALIZE, { authorization: `Bearer ${token}` });
    expect(res.status).toBe(401);
    expect(security).toEqual([expect.objectContaining({ event: 'mcp.auth_failure', error: 'invalid_token', reason: 'the access token was not issued for this resource' })]);
    expect(JSON.stringify(security)).not.toContain(token.split('.')[1]);
  });

  it('the DPoP scheme with an invalid proof is audited as invalid_dpop_proof or invalid_token', async () => {
    security.length = 0;
    const token = await machineToken(as, 'hr:read', rs.url);
    const res = await rpc(rs.url, INITIALIZE, { authorization: `DPoP ${token}`, dpop: 'not-a-proof' });
    expect(res.status).toBe(401);
    expect(security).toHaveLength(1);
    expect(security[0]).toMatchObject({ event: 'mcp.auth_failure', scheme: 'DPoP' });
    expect(['invalid_dpop_proof', 'invalid_token']).toContain((security[0] as { error: string }).error);
  });

  it('a request without any token (discovery) is not a security event', async () => {
    security.length = 0;
    const res = await rpc(rs.url, INITIALIZE);
    expect(res.status).toBe(401);
    expect(security).toEqual([]);
  });
});

describe('AU-1: a tools/list is recorded with what the caller was shown', () => {
  it('mcp.tools_list names exactly the tools in the answer, and a call-only POST records none', async () => {
    security.length = 0;
    const token = await machineToken(as, 'hr:read', rs.url);
    const res = await rpc(rs.url, LIST_TOOLS, { authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    const shown = (res.body.result.tools as { name: string }[]).map((t) => t.name).sort();
    expect(shown.length).toBeGreaterThan(0);
    const lists = security.filter((e) => e.event === 'mcp.tools_list');
    expect(lists).toHaveLength(1);
    expect([...(lists[0] as { tools: string[] }).tools].sort()).toEqual(shown);
    expect(lists[0]).toMatchObject({ clientId: expect.any(String), scopes: ['hr:read'], resource: rs.url });
    expect(JSON.stringify(security)).not.toContain(token.split('.')[1]);
    security.length = 0;
    await rpc(rs.url, INITIALIZE, { authorization: `Bearer ${token}` });
    expect(security.filter((e) => e.event === 'mcp.tools_list')).toEqual([]);
  });
});
