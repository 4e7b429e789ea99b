/**
 * ID-2 / DL-4: an owner cannot give their agent more authority than they hold. Mandate's management
 * scopes (mandate:admin, mandate:scim, mandate:audit, any other mandate:*) in allowed_scopes are
 * refused through the owner API (400 invalid_request) on create and update, unless the owner is an
 * administrator; the admin API still sets anything.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_SCOPE, ADMIN_SCOPE, AGENTS_SCOPE } from '../../src/endpoints/paths.ts';
import { SCIM_SCOPE } from '../../src/scim/paths.ts';
import { AUDIT_INGEST_SCOPE } from '../../src/endpoints/audit-ingest.ts';
import { isAdministratorScope } from '../../src/endpoints/paths.ts';
import { adminToken, call, createUser, ownerToken, startAgentServer, type AgentServer } from './support.ts';

let s: AgentServer;
let aliceToken: string;
const url = (path = '') => `${s.issuer}/agents${path}`;

beforeAll(async () => {
  s = await startAgentServer();
  aliceToken = await ownerToken(s.ctx, s.alice);
});
afterAll(() => s.close());

const RESERVED = [ADMIN_SCOPE, SCIM_SCOPE, AUDIT_INGEST_SCOPE, 'mandate:future-management'];

describe('ID-2 scope ceiling: which scopes are an administrator\'s', () => {
  it('every mandate:* scope but the users\' own (mandate:agents, mandate:account)', () => {
    for (const scope of RESERVED) expect(isAdministratorScope(scope), scope).toBe(true);
    for (const scope of [AGENTS_SCOPE, ACCOUNT_SCOPE, 'mcp:read', 'openid', 'mandate', 'urn:mandate:x']) expect(isAdministratorScope(scope), scope).toBe(false);
  });
});

describe('ID-2 owners cannot give their agent more authority than they hold', () => {
  it('create: a reserved scope is 400 invalid_request and nothing is stored', async () => {
    const before = (await s.ctx.storage.agents.list({ ownerUserId: s.alice.id })).length;
    for (const scope of RESERVED) {
      const res = await call(url(), aliceToken, 'POST', { name: 'Escalator', allowed_scopes: ['mcp:read', scope] });
      expect(res.status, scope).toBe(400);
      expect(res.json.error).toBe('invalid_request');
      expect(res.json.error_description).toContain(`'${scope}'`);
    }
    expect((await s.ctx.storage.agents.list({ ownerUserId: s.alice.id })).length).toBe(before);
  });

  it('create: the owner\'s own scopes and ordinary ones are allowed', async () => {
    const res = await call(url(), aliceToken, 'POST', { name: 'Helper', allowed_scopes: ['mcp:read', AGENTS_SCOPE, ACCOUNT_SCOPE] });
    expect(res.status).toBe(201);
    expect(res.json.allowed_scopes).toEqual(['mcp:read', AGENTS_SCOPE, ACCOUNT_SCOPE]);
  });

  it('update: adding a reserved scope is 400 invalid_request and the agent is unchanged', async () => {
    const agent = (await call(url(), aliceToken, 'POST', { name: 'Narrow', allowed_scopes: ['mcp:read'] })).json;
    for (const scope of RESERVED) {
      const res = await call(url(`/${agent.id}`), aliceToken, 'PUT', { name: 'Wide', allowed_scopes: [scope] });
      expect(res.status, scope).toBe(400);
      expect(res.json.error).toBe('invalid_request');
    }
    expect(await s.ctx.storage.agents.get(agent.id)).toMatchObject({ name: 'Narrow', allowedScopes: ['mcp:read'] });
  });

  it('an administrator who owns an agent may give it a reserved scope', async () => {
    const root = await createUser(s.ctx, 'root-owner@example.com');
    await s.ctx.storage.users.update({ ...root, isAdmin: true });
    const token = await ownerToken(s.ctx, root);
    const res = await call(url(), token, 'POST', { name: 'Ops bot', allowed_scopes: [ADMIN_SCOPE] });
    expect(res.status).toBe(201);
    expect((await call(url(`/${res.json.id}`), token, 'PUT', { allowed_scopes: [ADMIN_SCOPE, SCIM_SCOPE] })).status).toBe(200);
  });

  it('the admin API sets anything; the owner may then keep or drop it, never add another', async () => {
    const admin = await adminToken(s.ctx);
    const created = await call(`${s.issuer}/admin/v1/agents`, admin, 'POST', { owner_user_id: s.alice.id, name: 'Granted', allowed_scopes: [ADMIN_SCOPE, 'mcp:read'] });
    expect(created.status).toBe(201);
    expect(created.json.allowed_scopes).toEqual([ADMIN_SCOPE, 'mcp:read']);
    const id = created.json.id as string;
    expect((await call(url(`/${id}`), aliceToken, 'PUT', { allowed_scopes: [ADMIN_SCOPE] })).status).toBe(200);
    expect((await call(url(`/${id}`), aliceToken, 'PUT', { name: 'Renamed' })).status).toBe(200);
    expect((await call(url(`/${id}`), aliceToken, 'PUT', { allowed_scopes: [ADMIN_SCOPE, SCIM_SCOPE] })).status).toBe(400);
    expect((await call(url(`/${id}`), aliceToken, 'PUT', { allowed_scopes: [] })).status).toBe(200);
    expect((await call(url(`/${id}`), aliceToken, 'PUT', { allowed_scopes: [ADMIN_SCOPE] })).status).toBe(400);
    const updated = await call(`${s.issuer}/admin/v1/agents/${id}`, admin, 'PUT', { allowed_scopes: [ADMIN_SCOPE, SCIM_SCOPE] });
    expect(updated.status).toBe(200);
    expect(updated.json.allowed_scopes).toEqual([ADMIN_SCOPE, SCIM_SCOPE]);
  });
});
