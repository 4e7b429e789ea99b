/**
 * RFC 7662 §2.2: the introspection answer of an agent's access token carries the agent claims the
 * JWT carries (agent_id, agent_attestation) and grant_id, so a resource server in introspection mode
 * sees the same caller as one verifying the JWT (M2). A self-registered caller still learns nothing
 * about tokens not issued to it (§4).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { adminToken, call, createGrant, grantToken, MCP, postForm, SECRETS, startAgentServer, type AgentServer } from '../agents/support.ts';

let s: AgentServer;
beforeAll(async () => {
  s = await startAgentServer();
});
afterAll(() => s.close());

const attestation = { model: 'claude-sonnet', runtime: 'node-22', publisher: 'example.com' };

async function introspectAsResourceServer(token: string): Promise<Record<string, unknown>> {
  const res = await postForm(`${s.issuer}/introspect`, { token }, ['resource-server', SECRETS.rs]);
  expect(res.status).toBe(200);
  return res.json as Record<string, unknown>;
}

describe('RFC 7662 §2.2 agent members of an introspected access token', () => {
  it('a client_credentials token of an agent client: agent_id and agent_attestation as in the JWT', async () => {
    const created = await call(`${s.issuer}/admin/v1/agents`, await adminToken(s.ctx), 'POST', { owner_user_id: s.alice.id, name: 'Worker', attestation, allowed_scopes: ['mcp:read'], allowed_audiences: [MCP], client_id: 'agent-client' });
    expect(created.status).toBe(201);
    const issued = await postForm(`${s.issuer}/token`, { grant_type: 'client_credentials', scope: 'mcp:read', resource: MCP }, ['agent-client', SECRETS.agent]);
    expect(issued.status).toBe(200);
    const claims = decodeJwt(issued.json.access_token);
    const body = await introspectAsResourceServer(issued.json.access_token);
    expect(body).toMatchObject({ active: true, sub: 'agent-client', client_id: 'agent-client', agent_id: created.json.id, agent_attestation: attestation });
    expect(body.agent_id).toBe(claims.agent_id);
    expect(body.agent_attestation).toEqual(claims.agent_attestation);
  });

  it('a token naming its grant: grant_id as in the JWT', async () => {
    const grant = await createGrant(s.ctx, { userId: s.alice.id });
    const { token } = await grantToken(s.ctx, grant, { audience: [MCP], extraClaims: { agent_id: 'agt_w', grant_id: grant.id } });
    const body = await introspectAsResourceServer(token);
    expect(body).toMatchObject({ active: true, agent_id: 'agt_w', grant_id: grant.id });
  });
});
