/**
 * ID-2: who suspended an agent decides who may re-activate it. An owner lifts only their own
 * suspension; an administrator's (admin API, or the owner's deprovisioning) stays until an
 * administrator lifts it, and the owner suspending again never turns it into the owner's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, call, createUser, ownerToken, startAgentServer, type AgentServer } from './support.ts';

describe.each(['sqlite', 'postgres'] as const)('agent suspended_by (%s)', (backend) => {
  let s: AgentServer;
  beforeAll(async () => {
    s = await startAgentServer({}, backend);
  });
  afterAll(() => s.close());

  async function ownerAgent(token: string): Promise<string> {
    const res = await call(`${s.issuer}/agents`, token, 'POST', { name: 'x', allowed_scopes: ['mcp:read'] });
    expect(res.status).toBe(201);
    expect(res.json.suspended_by).toBeNull();
    return res.json.id;
  }

  it('ID-2 an owner cannot re-activate an agent an administrator suspended; an administrator can', async () => {
    const alice = await ownerToken(s.ctx, s.alice);
    const admin = await adminToken(s.ctx);
    const id = await ownerAgent(alice);
    const suspended = await call(`${s.issuer}/admin/v1/agents/${id}/suspend`, admin, 'POST');
    expect(suspended.json).toMatchObject({ status: 'suspended', suspended_by: 'admin' });

    const refused = await call(`${s.issuer}/agents/${id}/activate`, alice, 'POST');
    expect(refused.status).toBe(403);
    expect(refused.json.error).toBe('access_denied');
    expect((await s.ctx.storage.agents.get(id))).toMatchObject({ status: 'suspended', suspendedBy: 'admin' });

    // The owner suspending it again keeps it the administrator's.
    const again = await call(`${s.issuer}/agents/${id}/suspend`, alice, 'POST');
    expect(again.json).toMatchObject({ status: 'suspended', suspended_by: 'admin' });
    expect((await call(`${s.issuer}/agents/${id}/activate`, alice, 'POST')).status).toBe(403);

    const lifted = await call(`${s.issuer}/admin/v1/agents/${id}/activate`, admin, 'POST');
    expect(lifted.json).toMatchObject({ status: 'active', suspended_by: null });
  });

  it('ID-2 an owner re-activates their own suspension; an administrator suspending it takes it over', async () => {
    const alice = await ownerToken(s.ctx, s.alice);
    const id = await ownerAgent(alice);
    expect((await call(`${s.issuer}/agents/${id}/suspend`, alice, 'POST')).json).toMatchObject({ status: 'suspended', suspended_by: 'owner' });
    const activated = await call(`${s.issuer}/agents/${id}/activate`, alice, 'POST');
    expect(activated.status).toBe(200);
    expect(activated.json).toMatchObject({ status: 'active', suspended_by: null });

    await call(`${s.issuer}/agents/${id}/suspend`, alice, 'POST');
    const taken = await call(`${s.issuer}/admin/v1/agents/${id}/suspend`, await adminToken(s.ctx), 'POST');
    expect(taken.json).toMatchObject({ status: 'suspended', suspended_by: 'admin' });
    expect((await call(`${s.issuer}/agents/${id}/activate`, alice, 'POST')).status).toBe(403);
  });

  it('ID-2 agents suspended by deprovisioning their owner stay suspended for the re-enabled owner', async () => {
    const gina = await createUser(s.ctx, 'gina@example.com');
    const token = await ownerToken(s.ctx, gina);
    const own = await ownerAgent(token);
    const other = await ownerAgent(token);
    await call(`${s.issuer}/agents/${own}/suspend`, token, 'POST'); // the owner's, before the deprovisioning
    const admin = await adminToken(s.ctx);
    expect((await call(`${s.issuer}/admin/v1/users/${gina.id}/disable`, admin, 'POST')).status).toBe(200);
    for (const id of [own, other]) expect(await s.ctx.storage.agents.get(id)).toMatchObject({ status: 'suspended', suspendedBy: 'admin' });
    await s.ctx.storage.users.update({ ...(await s.ctx.storage.users.get(gina.id))!, disabled: false });
    const fresh = await ownerToken(s.ctx, gina);
    for (const id of [own, other]) expect((await call(`${s.issuer}/agents/${id}/activate`, fresh, 'POST')).status).toBe(403);
    expect((await call(`${s.issuer}/admin/v1/agents/${own}/activate`, admin, 'POST')).json).toMatchObject({ status: 'active', suspended_by: null });
  });

  it('ID-2 a suspended row with no recorded suspender (written before migration 0012) counts as an administrator\'s', async () => {
    const alice = await ownerToken(s.ctx, s.alice);
    const id = await ownerAgent(alice);
    const record = (await s.ctx.storage.agents.get(id))!;
    await s.ctx.storage.agents.update({ ...record, status: 'suspended', suspendedBy: null });
    expect(await s.ctx.storage.agents.get(id)).toMatchObject({ status: 'suspended', suspendedBy: 'admin' });
    expect((await call(`${s.issuer}/agents/${id}/activate`, alice, 'POST')).status).toBe(403);
  });
});
