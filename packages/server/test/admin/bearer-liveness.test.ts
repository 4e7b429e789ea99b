/**
 * RFC 7009 §2.1 / ID-2: the admin API (and SCIM, through authenticateBearer) takes a token only
 * while it is live the way introspection reads it (endpoints/token-state.ts): a token row that was
 * never revoked does not outlive a revoked grant or the suspension of the agent its grant is for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRecord } from '../../src/storage/records.ts';
import { call, createGrant, createUser, grantToken, startAgentServer, type AgentServer } from '../agents/support.ts';

describe.each(['sqlite', 'postgres'] as const)('admin API bearer liveness (%s)', (backend) => {
  let s: AgentServer;
  let root: UserRecord;
  beforeAll(async () => {
    s = await startAgentServer({}, backend);
    const created = await createUser(s.ctx, 'root@example.com');
    root = { ...created, isAdmin: true };
    await s.ctx.storage.users.update(root);
  });
  afterAll(() => s.close());

  async function adminUserToken(extra: { revokedAt?: number; agentId?: string } = {}): Promise<string> {
    const grant = await createGrant(s.ctx, { userId: root.id, scope: 'mandate:admin', resources: [], ...extra });
    return (await grantToken(s.ctx, grant, { audience: [s.issuer] })).token;
  }

  it('accepts an administrator token under a live grant', async () => {
    expect((await call(`${s.issuer}/admin/v1/agents`, await adminUserToken(), 'GET')).status).toBe(200);
  });

  it('RFC 7009 §2.1 refuses an admin-scoped token whose grant is revoked though its own row is not', async () => {
    const token = await adminUserToken({ revokedAt: s.ctx.now() });
    const res = await call(`${s.issuer}/admin/v1/agents`, token, 'GET');
    expect(res.status).toBe(401);
    expect(res.json.error).toBe('invalid_token');
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('ID-2 refuses an admin-scoped token under a grant of a suspended agent', async () => {
    const agent = await call(`${s.issuer}/admin/v1/agents`, await adminUserToken(), 'POST', { owner_user_id: s.alice.id, name: 'ops', allowed_scopes: ['mandate:admin'] });
    expect(agent.status).toBe(201);
    const token = await adminUserToken({ agentId: agent.json.id });
    expect((await call(`${s.issuer}/admin/v1/agents`, token, 'GET')).status).toBe(200);
    // Suspended without revoking the grant (as if the grant was written in a race with the suspension).
    const record = (await s.ctx.storage.agents.get(agent.json.id))!;
    await s.ctx.storage.agents.update({ ...record, status: 'suspended', suspendedBy: 'admin' });
    const res = await call(`${s.issuer}/admin/v1/agents`, token, 'GET');
    expect(res.status).toBe(401);
    expect(res.json.error).toBe('invalid_token');
  });
});
