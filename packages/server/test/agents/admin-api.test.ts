/**
 * ID-2 administrators manage every agent through the admin API (zod routes, OpenAPI), and alone
 * bind a client to an agent; ID-3 service identities are registered with their marker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, call, ownerToken, startAgentServer, type AgentServer } from './support.ts';

let s: AgentServer;
let admin: string;
const url = (path: string) => `${s.issuer}/admin/v1${path}`;

beforeAll(async () => {
  s = await startAgentServer();
  admin = await adminToken(s.ctx);
});
afterAll(() => s.close());

describe('ID-2 admin API: agents of every owner', () => {
  it('creates agents for any enabled owner, binds a client, lists all or per owner, reads one', async () => {
    const a = await call(url('/agents'), admin, 'POST', { owner_user_id: s.alice.id, name: 'Alice bot', client_id: 'agent-client', allowed_scopes: ['mcp:read'] });
    expect(a.status).toBe(201);
    expect(a.json).toMatchObject({ owner_user_id: s.alice.id, client_id: 'agent-client', status: 'active' });
    const b = await call(url('/agents'), admin, 'POST', { owner_user_id: s.bob.id, name: 'Bob bot' });
    // Creation order; agents created in the same second come in id order.
    expect((await call(url('/agents'), admin, 'GET')).json.items.map((x: { id: string }) => x.id).sort()).toEqual([a.json.id, b.json.id].sort());
    expect((await call(url(`/agents?owner_user_id=${s.bob.id}`), admin, 'GET')).json.items.map((x: { id: string }) => x.id)).toEqual([b.json.id]);
    expect((await call(url(`/agents/${a.json.id}`), admin, 'GET')).json.name).toBe('Alice bot');
    expect((await call(url('/agents/agt_none'), admin, 'GET')).status).toBe(404);
    const audit = await s.ctx.storage.audit.list({ event: 'admin.createAgent' });
    expect(audit[0]?.data).toMatchObject({ agent_id: a.json.id, bound_client_id: 'agent-client' });
  });

  it('refuses an unknown or disabled owner, an unknown client, and a client already bound to another agent', async () => {
    const dave = { ...s.bob, id: 'usr_dave', email: 'dave@example.com', disabled: true };
    await s.ctx.storage.users.create(dave);
    for (const body of [
      { owner_user_id: 'usr_nobody', name: 'x' },
      { owner_user_id: dave.id, name: 'x' },
      { owner_user_id: s.alice.id, name: 'x', client_id: 'no-such-client' },
      { owner_user_id: s.alice.id, name: 'x', client_id: 'agent-client' },
    ]) {
      const res = await call(url('/agents'), admin, 'POST', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error).toBe('invalid_request');
    }
    expect((await s.ctx.storage.agents.list({ ownerUserId: dave.id })).length).toBe(0);
  });

  it('updates partially, rebinds and unbinds the client, suspends and re-activates', async () => {
    const agent = (await call(url('/agents'), admin, 'POST', { owner_user_id: s.bob.id, name: 'Rebind me' })).json;
    const bound = await call(url(`/agents/${agent.id}`), admin, 'PUT', { client_id: 'nightly-report', max_delegation_depth: 3 });
    expect(bound.json).toMatchObject({ name: 'Rebind me', client_id: 'nightly-report', max_delegation_depth: 3 });
    expect((await call(url(`/agents/${agent.id}`), admin, 'PUT', { client_id: null })).json.client_id).toBeNull();
    expect((await call(url(`/agents/${agent.id}/suspend`), admin, 'POST')).json).toMatchObject({ status: 'suspended', revoked_grants: [] });
    expect((await call(url(`/agents/${agent.id}/activate`), admin, 'POST')).json.status).toBe('active');
  });

  it('is refused without mandate:admin (an owner token) and is in the OpenAPI document', async () => {
    const res = await call(url('/agents'), await ownerToken(s.ctx, s.alice), 'GET');
    expect(res.status).toBe(403);
    expect((await call(url('/agents'), null, 'GET')).status).toBe(401);
    const doc = (await call(url('/openapi.json'), null, 'GET')).json;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/admin/v1/agents', '/admin/v1/agents/{agentId}', '/admin/v1/agents/{agentId}/suspend']));
  });
});

describe('ID-3 service identities: metadata marker', () => {
  it('admin registration keeps service_identity and max_token_ttl; a service identity may only use client_credentials', async () => {
    const ok = await call(url('/clients'), admin, 'POST', {
      client_name: 'Exporter',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'mcp:read',
      service_identity: true,
      max_token_ttl: 60,
    });
    expect(ok.status).toBe(201);
    expect(ok.json).toMatchObject({ service_identity: true, max_token_ttl: 60 });
    const stored = await s.ctx.storage.clients.get(ok.json.client_id);
    expect(stored?.metadata).toMatchObject({ service_identity: true, max_token_ttl: 60 });
    const bad = await call(url('/clients'), admin, 'POST', {
      client_name: 'User-facing service',
      grant_types: ['authorization_code', 'client_credentials'],
      redirect_uris: ['https://app.example/cb'],
      service_identity: true,
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe('invalid_client_metadata');
    const tooLong = await call(url('/clients'), admin, 'POST', { client_name: 'x', grant_types: ['client_credentials'], max_token_ttl: 86_401 });
    expect(tooLong.json.error).toBe('invalid_client_metadata');
  });
});
