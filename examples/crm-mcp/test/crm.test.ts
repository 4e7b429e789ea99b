/**
 * The CRM demo: the MCP server reads the CRM REST API with a token obtained by RFC 8693 token
 * exchange (PASS-1); the API validates its own tokens (jose, exact audience).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { callTool, startDemoEnv, userToken, type DemoEnv } from '../../test/support.ts';

let env: DemoEnv;

beforeAll(async () => {
  env = await startDemoEnv();
});
afterAll(() => env.close());

describe('PASS-1 the CRM MCP server calls the API with an exchanged token, never the caller\'s', () => {
  it('list_accounts returns the API data; the API saw a token for itself about the same user', async () => {
    const token = await userToken(env, { clientId: 'sales-assistant', user: env.bob, scope: 'crm:read', resource: env.demos.urls.crm });
    const res = await callTool(env.demos.urls.crm, token, 'list_accounts');
    expect(res.status).toBe(200);
    const data = res.body.result.structuredContent as { accounts: unknown[]; caller: { sub: string; client_id: string } };
    expect(data.accounts).toHaveLength(3);
    expect(data.caller.sub).toBe(env.bob.id);
    expect(data.caller.sub).toBe(decodeJwt(token).sub);
    // The API saw the MCP server's exchanged token (client_id = the CRM MCP server), not the caller's.
    expect(data.caller.client_id).toBe('demo-crm-mcp');
  });

  it('the API refuses the caller\'s own token (audience = the MCP server, not the API)', async () => {
    const token = await userToken(env, { clientId: 'sales-assistant', user: env.bob, scope: 'crm:read', resource: env.demos.urls.crm });
    const res = await fetch(`${env.demos.urls.crmApi}/accounts`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });

  it('the API refuses a request without a token', async () => {
    const res = await fetch(`${env.demos.urls.crmApi}/accounts`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer scope="crm:read"');
  });

  it('repeated calls by the same caller reuse the cached exchanged token', async () => {
    const token = await userToken(env, { clientId: 'sales-assistant', user: env.alice, scope: 'crm:read', resource: env.demos.urls.crm });
    const ctx = env.as.server.ctx;
    const before = (await ctx.storage.audit.list({ limit: 10_000 })).filter((r) => r.clientId === 'demo-crm-mcp' && r.event === 'token_exchanged').length;
    await callTool(env.demos.urls.crm, token, 'list_accounts');
    await callTool(env.demos.urls.crm, token, 'list_accounts');
    const after = (await ctx.storage.audit.list({ limit: 10_000 })).filter((r) => r.clientId === 'demo-crm-mcp' && r.event === 'token_exchanged').length;
    expect(after - before).toBe(1);
  });
});
