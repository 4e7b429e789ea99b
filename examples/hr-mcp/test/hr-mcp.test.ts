/**
 * The HR demo end to end: a real AS issues the tokens, the HR MCP server (Cedar files next to it)
 * decides and shapes, and its audit reaches the AS's chain.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACR, agentToken, callTool, rpc, startDemoEnv, userToken, type DemoEnv } from '../../test/support.ts';

let env: DemoEnv;
let hr: string;

beforeAll(async () => {
  env = await startDemoEnv();
  hr = env.demos.urls.hr;
});
afterAll(() => env.close());

const employees = (res: { body: any }): Record<string, any>[] => res.body.result.structuredContent.employees;

describe('RS-5 an agent acting for a manager sees only that manager\'s reports, never salaries', () => {
  it('the Sales Assistant for Bob lists Bob and his reports, without salary', async () => {
    const token = await userToken(env, { clientId: 'sales-assistant', user: env.bob, scope: 'hr:read', resource: hr });
    const res = await callTool(hr, token, 'list_employees');
    expect(res.status).toBe(200);
    expect(employees(res).map((e) => e.id).sort()).toEqual(['e-bob', 'e-carol', 'e-dan']);
    expect(JSON.stringify(res.body)).not.toContain('salary');
  });

  it('an AI agent (act claim from token exchange) acting for Bob: his reports only, no salary, status changes allowed, denial audited with user and agent', async () => {
    const { token, agentId } = await agentToken(env, { user: env.bob, scope: 'hr:read hr:write', resource: hr });
    const listed = await callTool(hr, token, 'list_employees');
    expect(employees(listed).map((e) => e.id).sort()).toEqual(['e-bob', 'e-carol', 'e-dan']);
    expect(JSON.stringify(listed.body)).not.toContain('salary');
    const other = await callTool(hr, token, 'get_employee', { id: 'e-erin' });
    expect(other.body.error.message).toMatch(/no policy permits get_employee/);
    const changed = await callTool(hr, token, 'update_status', { id: 'e-carol', status: 'on_leave' });
    expect(changed.body.result.structuredContent).toMatchObject({ id: 'e-carol', status: 'on_leave' });
    await env.demos.hr.audit.flush();
    const rows = await env.as.server.ctx.storage.audit.list({ event: 'mcp.tool_call', limit: 1000 });
    const denied = rows.find((r) => r.agentId === agentId && r.data?.tool === 'get_employee');
    expect(denied).toMatchObject({ userId: env.bob.id, result: 'failure' });
    expect(denied?.reason).toMatch(/no policy permits/);
  });

  it('reading someone else\'s record is denied with a clear MCP error', async () => {
    const token = await userToken(env, { clientId: 'sales-assistant', user: env.bob, scope: 'hr:read', resource: hr });
    const res = await callTool(hr, token, 'get_employee', { id: 'e-erin' });
    expect(res.status).toBe(200);
    expect(res.body.error.message).toMatch(/no policy permits get_employee on HR::Employee::"e-erin"/);
    const own = await callTool(hr, token, 'get_employee', { id: 'e-carol' });
    expect(own.body.result.structuredContent).toMatchObject({ id: 'e-carol', name: 'Carol Jones' });
    expect(own.body.result.structuredContent).not.toHaveProperty('salary');
  });
});

describe('RS-5 HR staff: everyone, salaries through their own app, never through the Sales Assistant', () => {
  it('Alice in the HR portal sees all five employees with salaries', async () => {
    const token = await userToken(env, { clientId: 'hr-portal', user: env.alice, scope: 'hr:read', resource: hr });
    const list = employees(await callTool(hr, token, 'list_employees'));
    expect(list).toHaveLength(5);
    expect(list.find((e) => e.id === 'e-carol')?.salary).toBe(98_000);
  });

  it('Alice through the Sales Assistant receives no salary', async () => {
    const token = await userToken(env, { clientId: 'sales-assistant', user: env.alice, scope: 'hr:read', resource: hr });
    const list = employees(await callTool(hr, token, 'list_employees'));
    expect(list).toHaveLength(5);
    expect(JSON.stringify(list)).not.toContain('salary');
  });

  it('exports drop PII (email, phone, street)', async () => {
    const token = await userToken(env, { clientId: 'hr-portal', user: env.alice, scope: 'hr:read', resource: hr });
    const list = employees(await callTool(hr, token, 'export_employees'));
    expect(list).toHaveLength(5);
    for (const e of list) {
      expect(e).not.toHaveProperty('email');
      expect(e).not.toHaveProperty('phone');
      expect(e.address).toEqual({ city: expect.any(String) });
    }
  });
});

describe('RS-3 / RS-4 tools by scope, status changes allowed, deletion needs step-up', () => {
  it('tools/list with hr:read hides the writing tools; role-specific descriptions', async () => {
    const token = await userToken(env, { clientId: 'sales-assistant', user: env.bob, scope: 'hr:read', resource: hr });
    const res = await rpc(hr, token, 'tools/list');
    const tools = res.body.result.tools as { name: string; description: string }[];
    expect(tools.map((t) => t.name).sort()).toEqual(['export_employees', 'get_employee', 'list_employees']);
    expect(tools.find((t) => t.name === 'list_employees')?.description).toBe('Lists your direct reports and yourself.');
  });

  it('a status change without hr:write is 403 insufficient_scope naming hr:write', async () => {
    const token = await userToken(env, { clientId: 'sales-assistant', user: env.bob, scope: 'hr:read', resource: hr });
    const res = await callTool(hr, token, 'update_status', { id: 'e-dan', status: 'active' });
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toMatch(/error="insufficient_scope".*scope="[^"]*hr:write/);
  });

  it('Bob changes his report\'s status', async () => {
    const token = await userToken(env, { clientId: 'sales-assistant', user: env.bob, scope: 'hr:write', resource: hr });
    const res = await callTool(hr, token, 'update_status', { id: 'e-dan', status: 'active' });
    expect(res.body.result.structuredContent).toMatchObject({ id: 'e-dan', status: 'active' });
    expect(env.demos.hr.store.get('e-dan')?.status).toBe('active');
  });

  it('deletion with a password + TOTP login is 401 insufficient_user_authentication asking for a passkey', async () => {
    const token = await userToken(env, { clientId: 'hr-portal', user: env.alice, scope: 'hr:write', resource: hr, acr: ACR.mfa });
    const res = await callTool(hr, token, 'delete_employee', { id: 'e-erin' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/error="insufficient_user_authentication".*acr_values="urn:mandate:acr:phr"/);
    expect(env.demos.hr.store.get('e-erin')).toBeDefined();
  });

  it('after step-up (passkey, acr phr) HR deletes; a manager at the same level is refused by policy', async () => {
    const bobToken = await userToken(env, { clientId: 'hr-portal', user: env.bob, scope: 'hr:write', resource: hr, acr: ACR.phr });
    const refused = await callTool(hr, bobToken, 'delete_employee', { id: 'e-carol' });
    expect(refused.body.error.message).toMatch(/no policy permits delete_employee/);
    const aliceToken = await userToken(env, { clientId: 'hr-portal', user: env.alice, scope: 'hr:write', resource: hr, acr: ACR.phr });
    const deleted = await callTool(hr, aliceToken, 'delete_employee', { id: 'e-erin' });
    expect(deleted.body.result.structuredContent).toEqual({ deleted: 'e-erin' });
    expect(env.demos.hr.store.get('e-erin')).toBeUndefined();
  });
});
