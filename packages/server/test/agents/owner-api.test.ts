/**
 * ID-2: owners create, list, change and suspend their own agents through /agents with a Mandate
 * access token carrying mandate:agents (RFC 6750); they never see or touch another owner's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, exportJWK, generateKeyPair } from 'jose';
import { adminToken, call, createUser, ownerToken, startAgentServer, type AgentServer } from './support.ts';

let s: AgentServer;
let aliceToken: string;
let bobToken: string;
const url = (path = '') => `${s.issuer}/agents${path}`;

beforeAll(async () => {
  s = await startAgentServer();
  aliceToken = await ownerToken(s.ctx, s.alice);
  bobToken = await ownerToken(s.ctx, s.bob);
});
afterAll(() => s.close());

const inbox = {
  name: 'Inbox triage',
  description: 'Labels mail',
  allowed_scopes: ['mcp:read', 'mcp:read'],
  allowed_audiences: ['https://mcp.example/mcp'],
  allowed_tools: ['list_messages', 'label_message'],
  max_delegation_depth: 2,
  attestation: { model: 'claude-sonnet', runtime: 'node-22', publisher: 'example.com' },
};

describe('ID-2 owners manage their own agents', () => {
  it('creates an agt_ agent owned by the caller, active, with its limits, attestation and defaults', async () => {
    const res = await call(url(), aliceToken, 'POST', inbox);
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.json).toMatchObject({
      name: 'Inbox triage',
      owner_user_id: s.alice.id,
      allowed_scopes: ['mcp:read'],
      allowed_tools: ['list_messages', 'label_message'],
      max_delegation_depth: 2,
      status: 'active',
      attestation: inbox.attestation,
      jwks: null,
      client_id: null,
    });
    expect(res.json.id).toMatch(/^agt_[A-Za-z0-9_-]{22}$/);
    const minimal = await call(url(), aliceToken, 'POST', { name: 'Bare' });
    expect(minimal.json).toMatchObject({ description: '', allowed_scopes: [], allowed_audiences: [], max_delegation_depth: 1, attestation: null });
    const audit = await s.ctx.storage.audit.list({ event: 'agent.created', userId: s.alice.id });
    expect(audit.map((e) => e.agentId)).toEqual([res.json.id, minimal.json.id]);
  });

  it('lists only the caller\'s agents and reads one; another owner\'s agent is 404 for read, update and suspend', async () => {
    const mine = (await call(url(), bobToken, 'POST', { name: 'Bob helper' })).json;
    const aliceAgent = (await call(url(), aliceToken, 'POST', { name: 'Alice private' })).json;
    const list = await call(url(), bobToken, 'GET');
    expect(list.json.items.map((a: { id: string }) => a.id)).toEqual([mine.id]);
    expect((await call(url(`/${mine.id}`), bobToken, 'GET')).json.name).toBe('Bob helper');
    for (const [method, path, body] of [
      ['GET', `/${aliceAgent.id}`, undefined],
      ['PUT', `/${aliceAgent.id}`, { name: 'Hijacked' }],
      ['POST', `/${aliceAgent.id}/suspend`, undefined],
      ['GET', '/agt_does_not_exist', undefined],
    ] as const) {
      const res = await call(url(path), bobToken, method, body);
      expect(res.status).toBe(404);
      expect(res.json.error).toBe('not_found');
    }
    expect((await s.ctx.storage.agents.get(aliceAgent.id))).toMatchObject({ name: 'Alice private', status: 'active' });
  });

  it('updates partially: omitted fields keep their value, null clears attestation', async () => {
    const agent = (await call(url(), aliceToken, 'POST', inbox)).json;
    const res = await call(url(`/${agent.id}`), aliceToken, 'PUT', { allowed_scopes: ['mcp:read', 'mcp:write'], attestation: null });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ name: 'Inbox triage', allowed_scopes: ['mcp:read', 'mcp:write'], attestation: null, allowed_tools: inbox.allowed_tools });
    expect((await s.ctx.storage.agents.get(agent.id))?.allowedScopes).toEqual(['mcp:read', 'mcp:write']);
  });

  it('suspends and re-activates its agent, and audits both', async () => {
    const agent = (await call(url(), aliceToken, 'POST', { name: 'Short-lived' })).json;
    const suspended = await call(url(`/${agent.id}/suspend`), aliceToken, 'POST');
    expect(suspended.json).toMatchObject({ status: 'suspended', revoked_grants: [] });
    expect((await call(url(`/${agent.id}/activate`), aliceToken, 'POST')).json.status).toBe('active');
    const events = (await s.ctx.storage.audit.list({ userId: s.alice.id })).filter((e) => e.agentId === agent.id).map((e) => e.event);
    expect(events).toEqual(['agent.created', 'agent.suspended', 'agent.activated']);
  });

  it('RFC 7523 §3: registers the agent\'s public signing keys only when jose can import them', async () => {
    const { publicKey } = await generateKeyPair('EdDSA', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'agent-key-1' };
    const ok = await call(url(), aliceToken, 'POST', { name: 'Signer', jwks: { keys: [jwk] } });
    expect(ok.status).toBe(201);
    expect(ok.json.jwks).toEqual({ keys: [jwk] });
    for (const key of [
      { kty: 'EC', crv: 'P-256', x: 'not-a-point', y: 'nope' },
      { kty: 'OKP', crv: 'X25519', x: jwk.x },
      { ...jwk, use: 'enc' },
    ]) {
      const res = await call(url(), aliceToken, 'POST', { name: 'Bad key', jwks: { keys: [key] } });
      expect(res.status, JSON.stringify(key)).toBe(400);
      expect(res.json.error_description).toContain('jwks.keys.0');
      const update = await call(url(`/${ok.json.id}`), aliceToken, 'PUT', { jwks: { keys: [key] } });
      expect(update.status).toBe(400);
    }
    expect((await s.ctx.storage.agents.get(ok.json.id))?.jwks).toEqual({ keys: [jwk] });
  });

  it('refuses invalid bodies with invalid_request and stores nothing', async () => {
    const before = (await s.ctx.storage.agents.list({ ownerUserId: s.alice.id })).length;
    const bad: unknown[] = [
      {},
      { name: '' },
      { name: 'x', allowed_scopes: ['bad scope'] },
      { name: 'x', allowed_audiences: ['not a url'] },
      { name: 'x', allowed_audiences: ['https://mcp.example/#frag'] },
      { name: 'x', allowed_tools: ['rm -rf'] },
      { name: 'x', max_delegation_depth: 11 },
      { name: 'x', attestation: { model: 'm', colour: 'blue' } },
      { name: 'x', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'secret' }] } },
      { name: 'x', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } },
      { name: 'x', client_id: 'agent-client' },
      { name: 'x', status: 'active' },
    ];
    for (const body of bad) {
      const res = await call(url(), aliceToken, 'POST', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error).toBe('invalid_request');
    }
    const notJson = await fetch(url(), { method: 'POST', headers: { authorization: `Bearer ${aliceToken}`, 'content-type': 'application/json' }, body: '{"name":' });
    expect(notJson.status).toBe(400);
    expect((await s.ctx.storage.agents.list({ ownerUserId: s.alice.id })).length).toBe(before);
  });
});

describe('RFC 6750 §3.1 the agents API needs an owner token with mandate:agents', () => {
  it('401 without a token (bare challenge), with garbage, a revoked token, or a foreign audience', async () => {
    const none = await call(url(), null, 'GET');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="mandate-agents"');
    const revoked = await ownerToken(s.ctx, s.alice);
    await s.ctx.storage.accessTokens.revoke(String(decodeJwt(revoked).jti), s.ctx.now());
    const foreign = await ownerToken(s.ctx, s.alice, 'mandate:agents', ['https://mcp.example/mcp']);
    for (const token of ['garbage', revoked, foreign]) {
      const res = await call(url(), token, 'GET');
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
  });

  it('accepts the agents URL as audience', async () => {
    const token = await ownerToken(s.ctx, s.alice, 'mandate:agents', [`${s.issuer}/agents`]);
    expect((await call(url(), token, 'GET')).status).toBe(200);
  });

  it('403 insufficient_scope without mandate:agents, and for a client token (no user), even an admin one', async () => {
    const noScope = await ownerToken(s.ctx, s.alice, 'mcp:read');
    const res = await call(url(), noScope, 'GET');
    expect(res.status).toBe(403);
    expect(res.json.error).toBe('insufficient_scope');
    expect(res.headers.get('www-authenticate')).toContain('scope="mandate:agents"');
    expect((await call(url(), await adminToken(s.ctx), 'GET')).status).toBe(403);
  });

  it('401 once the owner is disabled', async () => {
    const carol = await createUser(s.ctx, 'carol@example.com');
    const token = await ownerToken(s.ctx, carol);
    await s.ctx.storage.users.update({ ...carol, disabled: true });
    expect((await call(url(), token, 'GET')).status).toBe(401);
  });
});
