/**
 * DL-4 / ID-2 "the agent never holds more than the user and its own limits": a client bound to an
 * agent gets client_credentials tokens that stand for the agent, so the agent's allowedScopes and
 * allowedAudiences bound them, as they bound a token exchange. Less than asked is granted (RFC 6749
 * §3.3, audited); nothing left is invalid_scope (§5.2); a resource outside the agent's audiences is
 * invalid_target (RFC 8707 §2).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { randomId } from '../../src/crypto/hash.ts';
import type { AgentRecord } from '../../src/storage/records.ts';
import { CLIENTS, MCP, postForm, SECRETS, startAgentServer, type AgentServer, type JsonResult } from '../agents/support.ts';

const OTHER = 'https://files.example/api';
const SECRET = 'bound-client-secret-0123456789abcdefghijklm';
const BOUND = ['bound-1', 'bound-2', 'bound-3', 'bound-4', 'bound-5', 'bound-6', 'bound-7', 'bound-8', 'bound-9'] as const;
/** Clients registered like agent-client (scope mcp:read mcp:write); `blank` registers no scope. */
const EXTRA: Record<string, unknown>[] = [
  ...BOUND.map((id) => ({ client_id: id, client_secret: SECRET, token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials'], scope: 'mcp:read mcp:write' })),
  { client_id: 'blank', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials'] },
];

describe.each(['sqlite', 'postgres'] as const)('client_credentials of an agent-bound client (%s)', (backend) => {
  let s: AgentServer;
  beforeAll(async () => {
    s = await startAgentServer({ clients: [...CLIENTS, ...EXTRA], resources: [MCP, OTHER] }, backend);
  });
  afterAll(() => s.close());

  async function bindAgent(clientId: string, o: Partial<AgentRecord>): Promise<AgentRecord> {
    const t = s.ctx.now();
    const agent: AgentRecord = {
      id: randomId('agt'),
      name: 'bound agent',
      description: '',
      ownerUserId: s.alice.id,
      allowedScopes: ['mcp:read'],
      allowedAudiences: [MCP],
      allowedTools: [],
      maxDelegationDepth: 1,
      status: 'active',
      suspendedBy: null,
      attestation: null,
      jwks: null,
      clientId,
      createdAt: t,
      updatedAt: t,
      ...o,
    };
    await s.ctx.storage.agents.create(agent);
    return agent;
  }

  function cc(clientId: string, form: Record<string, string>): Promise<JsonResult> {
    return postForm(`${s.issuer}/token`, { grant_type: 'client_credentials', ...form }, [clientId, SECRET]);
  }

  it("DL-4 a requested scope outside the agent's allowedScopes is dropped (RFC 6749 §3.3) and the audit says why (AU-2)", async () => {
    const agent = await bindAgent('bound-1', { allowedScopes: ['mcp:read'] });
    const res = await cc('bound-1', { scope: 'mcp:read mcp:write', resource: MCP });
    expect(res.status).toBe(200);
    expect(res.json.scope).toBe('mcp:read');
    expect(decodeJwt(res.json.access_token)).toMatchObject({ scope: 'mcp:read', agent_id: agent.id, aud: MCP });
    const audit = (await s.ctx.storage.audit.list({ event: 'token_issued' })).find((e) => e.data?.agent_id === agent.id);
    expect(audit).toMatchObject({ requestedScope: 'mcp:read mcp:write', grantedScope: 'mcp:read' });
    expect(audit?.data?.scope_narrowed).toEqual([`mcp:write: not allowed by agent ${agent.id}`]);
  });

  it("DL-4 with no scope requested, the default is the client's registered scope ∩ the agent's allowedScopes", async () => {
    await bindAgent('bound-2', { allowedScopes: ['mcp:read', 'profile'] });
    const res = await cc('bound-2', { resource: MCP });
    expect(res.status).toBe(200);
    expect(decodeJwt(res.json.access_token).scope).toBe('mcp:read');
  });

  it('DL-4 a client registered without a scope defaults to what the agent may hold (as in token exchange), less user-only scopes', async () => {
    await bindAgent('blank', { allowedScopes: ['openid', 'mcp:write'] });
    const res = await cc('blank', { resource: MCP });
    expect(res.status).toBe(200);
    expect(decodeJwt(res.json.access_token).scope).toBe('mcp:write');
  });

  it('RFC 6749 §5.2 an empty intersection with the agent is invalid_scope, requested or default', async () => {
    await bindAgent('bound-3', { allowedScopes: ['profile'] });
    const asked = await cc('bound-3', { scope: 'mcp:write' });
    expect(asked.status).toBe(400);
    expect(asked.json.error).toBe('invalid_scope');
    const byDefault = await cc('bound-3', { resource: MCP });
    expect(byDefault.status).toBe(400);
    expect(byDefault.json.error).toBe('invalid_scope');
  });

  it('RFC 6749 §5.2 an agent whose allowedScopes is empty gets nothing: empty is "none", not "no limit"', async () => {
    await bindAgent('bound-4', { allowedScopes: [] });
    const res = await cc('bound-4', { scope: 'mcp:read' });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('invalid_scope');
  });

  it("RFC 8707 §2 / DL-4 a resource outside the agent's allowedAudiences is invalid_target", async () => {
    await bindAgent('bound-5', { allowedAudiences: [MCP] });
    const refused = await cc('bound-5', { scope: 'mcp:read', resource: OTHER });
    expect(refused.status).toBe(400);
    expect(refused.json.error).toBe('invalid_target');
    const allowed = await cc('bound-5', { scope: 'mcp:read', resource: MCP });
    expect(allowed.status).toBe(200);
  });

  it('RFC 8707 §2 an agent with no allowedAudiences may not name any resource', async () => {
    await bindAgent('bound-6', { allowedAudiences: [] });
    const res = await cc('bound-6', { scope: 'mcp:read', resource: MCP });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('invalid_target');
  });

  it('RFC 8707 §2 / DL-4 an agent with no allowedAudiences gets no token without a resource either: the default audience is a target too', async () => {
    await bindAgent('bound-7', { allowedAudiences: [] });
    for (const form of [{ scope: 'mcp:read' }, {}] as Record<string, string>[]) {
      const res = await cc('bound-7', form);
      expect(res.status).toBe(400);
      expect(res.json.error).toBe('invalid_target');
      expect(res.json.access_token).toBeUndefined();
    }
  });

  it("RFC 8707 §2 / DL-4 without a resource the token's aud is the issuer, so the issuer must be in the agent's allowedAudiences", async () => {
    await bindAgent('bound-8', { allowedAudiences: [MCP] });
    const refused = await cc('bound-8', { scope: 'mcp:read' });
    expect(refused.status).toBe(400);
    expect(refused.json.error).toBe('invalid_target');
    const agent = await bindAgent('bound-9', { allowedAudiences: [s.issuer] });
    const allowed = await cc('bound-9', { scope: 'mcp:read' });
    expect(allowed.status).toBe(200);
    expect(decodeJwt(allowed.json.access_token)).toMatchObject({ aud: s.issuer, agent_id: agent.id });
  });

  it('a client bound to no agent is limited only by its registration', async () => {
    const plain = await postForm(`${s.issuer}/token`, { grant_type: 'client_credentials', scope: 'mcp:read', resource: OTHER }, ['resource-server', SECRETS.rs]);
    expect(plain.status).toBe(200);
    expect(plain.json.scope).toBe('mcp:read');
  });
});
