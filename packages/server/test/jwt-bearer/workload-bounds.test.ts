/**
 * A workload JWT buys at most what the mapped client's own client credentials would (CL-8, ID-3,
 * DL-4): the client's max_token_ttl caps the lifetime, a self-registered (DCR/CIMD) client gets
 * only the operator's selfRegisteredClients.clientCredentialsScopes, an agent's own client is
 * bounded by its registered scope as well as the agent's allowedScopes, and a client that
 * registered no scope has the default client credentials gives it: nothing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { MandateConfigInput } from '../../src/config/config.ts';
import { createRawClient, createUser, postForm, startTokenServer, type JsonResponse, type TokenServer } from '../token/fixtures.ts';
import { AGENT_RESOURCE, CI_ISSUER, issuerKey, JWT_BEARER, signAssertion, type IssuerKey } from './support.ts';

const CLIENTS = { dcr: 'dcr-deployer', capped: 'capped-deployer', agent: 'scoped-agent-client', blank: 'blank-deployer' } as const;
const AGENT_ID = 'agt_scoped_by_client';
const servers: TokenServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

interface Bounds {
  s: TokenServer;
  token(clientId: string, form?: Record<string, string>): Promise<JsonResponse>;
}

/** A server trusting one CI issuer whose rules map `sub` = client id to that client. */
async function start(extra: Partial<MandateConfigInput> = {}): Promise<Bounds> {
  const key: IssuerKey = await issuerKey('ES256');
  const s = await startTokenServer({
    federation: {
      workloadIssuers: [
        {
          issuer: CI_ISSUER,
          jwks: { keys: [key.publicJwk as Record<string, unknown>] },
          algorithms: ['ES256'],
          rules: Object.values(CLIENTS).map((clientId) => ({ claim: 'sub', equals: clientId, clientId })),
        },
      ],
    },
    ...extra,
  });
  servers.push(s);
  const { ctx } = s;
  const base = { grantTypes: [JWT_BEARER], tokenEndpointAuthMethod: 'none' as const };
  await createRawClient(ctx, { ...base, clientId: CLIENTS.dcr, source: 'dcr', scope: 'mcp:read mcp:write' });
  await createRawClient(ctx, { ...base, clientId: CLIENTS.capped, scope: 'mcp:read', metadata: { max_token_ttl: 60 } });
  await createRawClient(ctx, { ...base, clientId: CLIENTS.agent, scope: 'mcp:read' });
  await createRawClient(ctx, { ...base, clientId: CLIENTS.blank, scope: '' });
  const owner = await createUser(ctx, 'owner@example.com', 'Agent Owner');
  const t = ctx.now();
  await ctx.storage.agents.create({
    id: AGENT_ID,
    name: 'Agent bounded by its client',
    description: '',
    ownerUserId: owner.id,
    allowedScopes: ['mcp:read', 'mcp:write'],
    allowedAudiences: [AGENT_RESOURCE],
    allowedTools: [],
    maxDelegationDepth: 1,
    status: 'active',
    suspendedBy: null,
    attestation: null,
    jwks: null,
    clientId: CLIENTS.agent,
    createdAt: t,
    updatedAt: t,
  });
  return {
    s,
    async token(clientId, form = {}) {
      const now = ctx.now();
      const assertion = await signAssertion(key, { iss: CI_ISSUER, sub: clientId, aud: s.issuer, iat: now, exp: now + 300, jti: randomUUID() });
      return postForm(s.tokenUrl, { grant_type: JWT_BEARER, client_id: clientId, assertion, ...form });
    },
  };
}

describe('ID-3: the client\'s max_token_ttl caps a workload token (clients/service-identity.ts)', () => {
  it('a client with max_token_ttl 60 gets expires_in ≤ 60', async () => {
    const b = await start({ ttl: { clientCredentials: 600 } });
    const res = await b.token(CLIENTS.capped);
    expect(res.status).toBe(200);
    expect(res.body.expires_in).toBe(60);
  });
});

describe('RFC 6749 §3.3: a self-registered client mapped by a workload rule gets only the operator\'s clientCredentialsScopes', () => {
  it('grants only the operator\'s list within the registered scope', async () => {
    const b = await start({ selfRegisteredClients: { clientCredentialsScopes: ['mcp:read'] } });
    const omitted = await b.token(CLIENTS.dcr);
    expect(omitted.status).toBe(200);
    expect(omitted.body.scope).toBe('mcp:read');
    const asked = await b.token(CLIENTS.dcr, { scope: 'mcp:read mcp:write' });
    expect(asked.body.scope).toBe('mcp:read');
    const outside = await b.token(CLIENTS.dcr, { scope: 'mcp:write' });
    expect(outside.status).toBe(400);
    expect(outside.body.error).toBe('invalid_scope');
  });

  it('refuses with invalid_scope when the operator\'s list is empty, and issues nothing', async () => {
    const b = await start();
    const res = await b.token(CLIENTS.dcr, { scope: 'mcp:read' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_scope');
    expect(res.body.access_token).toBeUndefined();
    expect(await b.s.ctx.storage.audit.list({ event: 'token_issued', limit: 10 })).toHaveLength(0);
  });
});

describe('DL-4: an agent\'s own client is bounded by its registered scope as well as the agent\'s allowedScopes', () => {
  it('drops a scope the agent may hold but its client did not register', async () => {
    const b = await start();
    const res = await b.token(CLIENTS.agent, { scope: 'mcp:read mcp:write', resource: AGENT_RESOURCE });
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('mcp:read');
    const omitted = await b.token(CLIENTS.agent, { resource: AGENT_RESOURCE });
    expect(omitted.body.scope).toBe('mcp:read');
  });
});

describe('RFC 6749 §3.3: with no scope requested, the default is what client credentials would give the client', () => {
  it('a client registered without a scope gets no default (invalid_scope, nothing issued), yet may name any supported scope', async () => {
    const b = await start();
    const omitted = await b.token(CLIENTS.blank);
    expect(omitted.status).toBe(400);
    expect(omitted.body.error).toBe('invalid_scope');
    expect(omitted.body.access_token).toBeUndefined();
    expect(await b.s.ctx.storage.audit.list({ event: 'token_issued', limit: 10 })).toHaveLength(0);
    const named = await b.token(CLIENTS.blank, { scope: 'mcp:admin' });
    expect(named.status).toBe(200);
    expect(named.body.scope).toBe('mcp:admin');
  });
});
