/**
 * Per-tool authorization: tools/list filtered by what the caller may call (RS-3), scope
 * hierarchies (STEP-2), insufficient_scope with every needed scope (STEP-1), step-up with
 * acr_values / max_age (RFC 9470, RS-4), RAR checks (RFC 9396), the policy hook and audit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import type { TokenServer } from '../../server/test/token/fixtures.ts';
import type { PolicyRequest } from '../src/index.ts';
import { LIST_TOOLS, callTool, machineToken, rpc, sdkClient, startAs, startMcp, userToken, type RunningMcp } from './support/setup.ts';

let as: TokenServer;
let rs: RunningMcp;

beforeAll(async () => {
  as = await startAs();
  rs = await startMcp(as, 'hono');
});
afterAll(async () => {
  await rs?.close();
  await as?.close();
});

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

async function toolNames(token: string): Promise<string[]> {
  const client = await sdkClient(rs.url, token);
  try {
    return (await client.listTools()).tools.map((t) => t.name).sort();
  } finally {
    await client.close();
  }
}

describe('RS-3 tools/list shows only the tools the caller may call', () => {
  it('hr:read sees the read tool (and the RAR tool that opts into listing), nothing that writes', async () => {
    expect(await toolNames(await machineToken(as, 'hr:read', rs.url))).toEqual(['approve_payment', 'list_employees']);
  });

  it('STEP-2 hr:write implies hr:read: read, write and the step-up tool are listed', async () => {
    expect(await toolNames(await machineToken(as, 'hr:write', rs.url))).toEqual(['approve_payment', 'delete_employee', 'list_employees', 'update_status']);
  });

  it('STEP-2 transitively: hr:admin implies hr:write implies hr:read', async () => {
    expect(await toolNames(await machineToken(as, 'hr:admin reports:read', rs.url))).toEqual(['approve_payment', 'delete_employee', 'list_employees', 'payroll_export', 'update_status']);
  });

  it('gives descriptions per role: a machine caller sees the service description', async () => {
    const client = await sdkClient(rs.url, await machineToken(as, 'hr:read', rs.url));
    const machineView = (await client.listTools()).tools.find((t) => t.name === 'list_employees');
    await client.close();
    const userClient = await sdkClient(rs.url, await userToken(as, 'hr:read', rs.url));
    const userView = (await userClient.listTools()).tools.find((t) => t.name === 'list_employees');
    await userClient.close();
    expect(machineView?.description).toBe('Lists employees (service view).');
    expect(userView?.description).toBe('Lists employees.');
  });
});

describe('RFC 6750 §3.1 / STEP-1 insufficient_scope: 403 with every needed scope in one challenge', () => {
  it('answers a tools/call lacking hr:admin and reports:read with both, plus what the token has', async () => {
    const token = await machineToken(as, 'hr:read', rs.url);
    const res = await rpc(rs.url, callTool('payroll_export'), bearer(token));
    expect(res.status).toBe(403);
    const header = res.headers.get('www-authenticate') ?? '';
    expect(header).toMatch(/^Bearer error="insufficient_scope", error_description="[^"]+", scope="[^"]+", resource_metadata="[^"]+"$/);
    const scope = /scope="([^"]+)"/.exec(header)?.[1]?.split(' ');
    expect(scope).toEqual(expect.arrayContaining(['hr:read', 'hr:admin', 'reports:read']));
    expect(res.body.error.code).toBe(-32003);
    const parsed = extractWWWAuthenticateParams(new Response(null, { status: 403, headers: { 'www-authenticate': header } }));
    expect(parsed.error).toBe('insufficient_scope');
    expect(parsed.resourceMetadataUrl?.href).toBe(rs.mcp.metadataUrl);
  });

  it('is consistent: the same call gets the same challenge', async () => {
    const token = await machineToken(as, 'hr:read', rs.url);
    const a = await rpc(rs.url, callTool('update_status', { id: 'e1', status: 'active' }), bearer(token));
    const b = await rpc(rs.url, callTool('update_status', { id: 'e1', status: 'active' }), bearer(token));
    expect(a.status).toBe(403);
    expect(a.headers.get('www-authenticate')).toBe(b.headers.get('www-authenticate'));
    expect(a.headers.get('www-authenticate')).toContain('scope="hr:read hr:write"');
  });

  it('STEP-2 a token with hr:write calls the hr:read tool', async () => {
    const res = await rpc(rs.url, callTool('list_employees'), bearer(await machineToken(as, 'hr:write', rs.url)));
    expect(res.status).toBe(200);
    expect(res.body.result.structuredContent.employees).toHaveLength(1);
  });
});

describe('RFC 9470 §3 step-up: insufficient_user_authentication with acr_values / max_age', () => {
  it('answers 401 with acr_values when the tool needs a passkey and the user logged in with password + TOTP', async () => {
    const token = await userToken(as, 'hr:write', rs.url);
    const res = await rpc(rs.url, callTool('delete_employee', { id: 'e1' }), bearer(token));
    expect(res.status).toBe(401);
    const header = res.headers.get('www-authenticate') ?? '';
    expect(header).toMatch(/^Bearer error="insufficient_user_authentication"/);
    expect(header).toContain('acr_values="urn:mandate:acr:phr"');
    expect(header).toContain('resource_metadata=');
  });

  it('answers 401 with max_age when the authentication is too old', async () => {
    const token = await userToken(as, 'hr:admin reports:read', rs.url);
    const res = await rpc(rs.url, callTool('payroll_export'), bearer(token));
    expect(res.status).toBe(401);
    const header = res.headers.get('www-authenticate') ?? '';
    expect(header).toMatch(/^Bearer error="insufficient_user_authentication"/);
    expect(header).toMatch(/max_age=1(,|$)/);
  });

  it('a machine token (no acr at all) is challenged the same way', async () => {
    const res = await rpc(rs.url, callTool('delete_employee', { id: 'e1' }), bearer(await machineToken(as, 'hr:write', rs.url)));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('acr_values="urn:mandate:acr:phr"');
  });
});

describe('RFC 9396 §5 authorization_details checks', () => {
  it('denies with a JSON-RPC error (HTTP 200) when the token carries no payment authorization', async () => {
    const res = await rpc(rs.url, callTool('approve_payment', { amount: 10 }), bearer(await machineToken(as, 'hr:read', rs.url)));
    expect(res.status).toBe(200);
    expect(res.body.error.code).toBe(-32003);
    expect(res.body.error.message).toMatch(/no authorization_details of type payment/);
  });
});

describe('RS-5 policy hook and AU-1 audit of tool calls', () => {
  it('asks the policy engine with the tool, phase and context, and denies with its reason', async () => {
    const seen: PolicyRequest[] = [];
    const guarded = await startMcp(as, 'node', {
      hooks: {
        policy: {
          authorize: (r) => {
            seen.push(r);
            return r.tool === 'update_status' && r.phase === 'call' && (r.args as { status?: string }).status === 'terminated'
              ? { allow: false, reason: 'agents may not terminate employees' }
              : { allow: true };
          },
        },
      },
    });
    try {
      const token = await machineToken(as, 'hr:write', guarded.url);
      const ok = await rpc(guarded.url, callTool('update_status', { id: 'e1', status: 'active' }), bearer(token));
      expect(ok.status).toBe(200);
      expect(ok.body.result.structuredContent).toEqual({ id: 'e1', status: 'active' });
      const denied = await rpc(guarded.url, callTool('update_status', { id: 'e1', status: 'terminated' }), bearer(token));
      expect(denied.status).toBe(200);
      expect(denied.body.error.message).toBe('Forbidden: agents may not terminate employees');
      const call = seen.find((r) => r.phase === 'call' && r.tool === 'update_status');
      expect(call?.context.scopes).toEqual(expect.arrayContaining(['hr:write', 'hr:read']));
      expect(call?.context.chainDepth).toBe(0);
      expect(call?.action).toBe('update_status');
    } finally {
      await guarded.close();
    }
  });

  it('records allow, deny and challenge events with client, tool, decision and reason', async () => {
    rs.audit.length = 0;
    const token = await machineToken(as, 'hr:read', rs.url);
    await rpc(rs.url, callTool('list_employees'), bearer(token));
    await rpc(rs.url, callTool('update_status', { id: 'e1', status: 'x' }), bearer(token));
    await rpc(rs.url, callTool('approve_payment', { amount: 1 }), bearer(token));
    expect(rs.audit.map((e) => [e.tool, e.decision])).toEqual([
      ['list_employees', 'allow'],
      ['update_status', 'challenge'],
      ['approve_payment', 'deny'],
    ]);
    for (const e of rs.audit) {
      expect(e.clientId).toBe('hr-agent');
      expect(e.resource).toBe(rs.url);
    }
    expect(rs.audit[1]?.reason).toMatch(/insufficient_scope/);
  });

  it('tools/list through raw JSON-RPC carries the same filtered list', async () => {
    const res = await rpc(rs.url, LIST_TOOLS, bearer(await machineToken(as, 'hr:read', rs.url)));
    expect(res.status).toBe(200);
    expect(res.body.result.tools.map((t: { name: string }) => t.name).sort()).toEqual(['approve_payment', 'list_employees']);
  });
});

describe('MCP resources beside the tools: the configure hook', () => {
  it('adds per-caller resources to the McpServer the caller talks to', async () => {
    const withResources = await startMcp(as, 'express', {
      configure: (server, auth) => {
        server.registerResource('me', 'mandate://me', { mimeType: 'application/json' }, async () => ({
          contents: [{ uri: 'mandate://me', text: JSON.stringify({ client: auth.clientId, scopes: auth.scopes }) }],
        }));
      },
    });
    try {
      const client = await sdkClient(withResources.url, await machineToken(as, 'hr:read', withResources.url));
      const read = await client.readResource({ uri: 'mandate://me' });
      await client.close();
      const first = read.contents[0];
      expect(first && 'text' in first ? JSON.parse(first.text) : undefined).toEqual({ client: 'hr-agent', scopes: ['hr:read'] });
    } finally {
      await withResources.close();
    }
  });
});
