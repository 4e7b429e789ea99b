/** `npm start` wiring: startDemoServers registers the demos in the AS and serves them. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callTool, startDemoEnv, userToken, type DemoEnv } from './support.ts';
import { DEMO_CLIENTS } from '../start-demos.ts';

let env: DemoEnv;

beforeAll(async () => {
  env = await startDemoEnv();
});
afterAll(() => env.close());

describe('startDemoServers: registration in the AS', () => {
  it('registers the MCP servers\' confidential clients and the Sales Assistant, the scopes and the exchange policy', async () => {
    const ctx = env.as.server.ctx;
    expect((await ctx.storage.clients.get(DEMO_CLIENTS.hrMcp.clientId))?.scope).toBe('mandate:audit');
    expect((await ctx.storage.clients.get(DEMO_CLIENTS.crmMcp.clientId))?.grantTypes).toEqual(['urn:ietf:params:oauth:grant-type:token-exchange']);
    expect((await ctx.storage.clients.get(DEMO_CLIENTS.salesAssistant.clientId))?.tokenEndpointAuthMethod).toBe('none');
    expect(ctx.config.scopesSupported).toEqual(expect.arrayContaining(['hr:read', 'hr:write', 'crm:read']));
    expect(ctx.config.tokenExchange.resources).toContainEqual(expect.objectContaining({ resource: env.demos.urls.crm, exchangers: ['demo-crm-mcp'] }));
  });
});

describe('RFC 9728 the demo MCP servers publish protected-resource metadata naming the AS', () => {
  it('HR and CRM metadata at the path-inserted well-known URL', async () => {
    for (const url of [env.demos.urls.hr, env.demos.urls.crm]) {
      const u = new URL(url);
      const res = await fetch(`${u.origin}/.well-known/oauth-protected-resource${u.pathname}`);
      expect(res.status).toBe(200);
      const meta = (await res.json()) as { resource: string; authorization_servers: string[] };
      expect(meta.resource).toBe(url);
      expect(meta.authorization_servers).toEqual([env.as.issuer]);
    }
  });

  it('an unauthenticated call is 401 with the resource_metadata challenge', async () => {
    const res = await fetch(env.demos.urls.hr, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer scope="hr:read hr:write", resource_metadata="[^"]+\/.well-known\/oauth-protected-resource\/mcp"$/);
  });
});

describe('AU-1 the demos report their tool calls to the AS audit chain', () => {
  it('an HR call is in the AS audit after the sink flushes, reported by the HR MCP server', async () => {
    const token = await userToken(env, { clientId: 'sales-assistant', user: env.bob, scope: 'hr:read', resource: env.demos.urls.hr });
    await callTool(env.demos.urls.hr, token, 'list_employees');
    await env.demos.hr.audit.flush();
    const rows = await env.as.server.ctx.storage.audit.list({ event: 'mcp.tool_call', limit: 1000 });
    expect(rows.some((r) => r.userId === env.bob.id && r.clientId === 'sales-assistant' && r.data?.tool === 'list_employees' && r.data?.reported_by === 'demo-hr-mcp' && r.result === 'success')).toBe(true);
    expect(env.demos.hr.audit.backlog()).toBe(0);
  });
});
