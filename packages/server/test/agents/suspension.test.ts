/**
 * ID-2 / CO-1: suspending an agent, or disabling its owner, stops it at once. Every token derived
 * from a grant the agent acts in (exchanged downstream tokens included) and its own
 * client_credentials tokens are inactive at introspection (RFC 7662 §2.2) and published on the
 * revocation feed; its client gets no new token. Tokens carry the agent's claims (AU-2, EN-4).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { InvalidGrantError } from '@mandate/protocol';
import { agentClaims, agentForClient, loadActiveAgent } from '../../src/agents/identity.ts';
import type { AgentRecord } from '../../src/storage/records.ts';
import { adminToken, call, createGrant, createUser, grantToken, isActive, MCP, ownerToken, postForm, SECRETS, startAgentServer, type AgentServer } from './support.ts';

describe.each(['sqlite', 'postgres'] as const)('agent suspension (%s)', (backend) => {
  let s: AgentServer;
  beforeAll(async () => {
    s = await startAgentServer({}, backend);
  });
  afterAll(() => s.close());

  const attestation = { model: 'claude-sonnet', runtime: 'node-22', publisher: 'example.com' };

  async function adminCreateAgent(ownerUserId: string, extra: Record<string, unknown> = {}): Promise<AgentRecord> {
    const res = await call(`${s.issuer}/admin/v1/agents`, await adminToken(s.ctx), 'POST', { owner_user_id: ownerUserId, name: 'Worker', attestation, allowed_scopes: ['mcp:read'], allowed_audiences: [MCP], ...extra }); // DL-4: its client_credentials tokens name MCP
    expect(res.status).toBe(201);
    return (await s.ctx.storage.agents.get(res.json.id))!;
  }

  function clientCredentials(): Promise<{ status: number; json: any }> {
    return postForm(`${s.issuer}/token`, { grant_type: 'client_credentials', scope: 'mcp:read', resource: MCP }, ['agent-client', SECRETS.agent]);
  }

  /** The user's own grant, an agent grant derived from it (token exchange), and a downstream hop. */
  async function delegationChain(userId: string, agentId: string) {
    const user = await createGrant(s.ctx, { userId });
    const agent = await createGrant(s.ctx, { userId, agentId, parentGrantId: user.id });
    const downstream = await createGrant(s.ctx, { userId, parentGrantId: agent.id, clientId: 'resource-server' });
    return {
      grants: { user, agent, downstream },
      tokens: {
        user: await grantToken(s.ctx, user),
        agent: await grantToken(s.ctx, agent, { extraClaims: { ...agentClaims((await s.ctx.storage.agents.get(agentId))!) } }),
        downstream: await grantToken(s.ctx, downstream),
      },
    };
  }

  async function feedJtis(): Promise<Set<string>> {
    return new Set((await s.ctx.storage.revocations.list({ expiresAfter: s.ctx.now() })).flatMap((e) => (e.jti ? [e.jti] : [])));
  }

  describe('EN-4 / AU-2 agent claims in tokens', () => {
    it('agentClaims names the agent and its attestation; none when the agent has no attestation', async () => {
      const agent = await adminCreateAgent(s.alice.id);
      expect(agentClaims(agent)).toEqual({ agent_id: agent.id, agent_attestation: attestation });
      expect(agentClaims({ ...agent, attestation: null })).toEqual({ agent_id: agent.id });
    });
  });

  describe('ID-2 suspending an agent stops it at once (CO-1)', () => {
    it('client_credentials tokens of the agent client carry the agent claims; after suspension they are inactive and none is issued', async () => {
      const agent = await adminCreateAgent(s.alice.id, { client_id: 'agent-client' });
      const issued = await clientCredentials();
      expect(issued.status).toBe(200);
      expect(decodeJwt(issued.json.access_token)).toMatchObject({ sub: 'agent-client', agent_id: agent.id, agent_attestation: attestation });
      const chain = await delegationChain(s.alice.id, agent.id);
      for (const t of Object.values(chain.tokens)) expect(await isActive(s, t.token)).toBe(true);

      const res = await call(`${s.issuer}/agents/${agent.id}/suspend`, await ownerToken(s.ctx, s.alice), 'POST');
      expect(res.status).toBe(200);
      expect(res.json.revoked_grants.sort()).toEqual([chain.grants.agent.id, chain.grants.downstream.id].sort());

      expect(await isActive(s, issued.json.access_token)).toBe(false);
      expect(await isActive(s, chain.tokens.agent.token)).toBe(false);
      expect(await isActive(s, chain.tokens.downstream.token)).toBe(false);
      expect(await isActive(s, chain.tokens.user.token)).toBe(true); // the user's own grant is not the agent's
      const jtis = await feedJtis();
      for (const jti of [decodeJwt(issued.json.access_token).jti!, chain.tokens.agent.jti, chain.tokens.downstream.jti]) expect(jtis.has(jti)).toBe(true);
      expect(jtis.has(chain.tokens.user.jti)).toBe(false);
      const grantEvents = (await s.ctx.storage.revocations.list({})).filter((e) => e.grantId === chain.grants.agent.id);
      expect(grantEvents).toMatchObject([{ reason: 'agent suspended by its owner', expiresAt: chain.tokens.agent.expiresAt }]);

      const refused = await clientCredentials();
      expect(refused.status).toBe(400);
      expect(refused.json).toMatchObject({ error: 'invalid_grant' });
      expect(refused.json.error_description).toContain('suspended');
    });

    it('a suspension that lands after the agent check and before the token is stored wins: the transaction re-reads the agent', async () => {
      const holder = await s.ctx.storage.agents.getByClientId('agent-client');
      if (holder) await s.ctx.storage.agents.update({ ...holder, clientId: null });
      const stale = await adminCreateAgent(s.alice.id, { client_id: 'agent-client' });
      await s.ctx.storage.agents.update({ ...stale, status: 'suspended' });
      // The check before signing still sees the agent active (as if the suspension came right after it).
      const real = s.ctx.storage.agents;
      s.ctx.storage.agents = { ...real, getByClientId: async (clientId) => (clientId === 'agent-client' ? stale : real.getByClientId(clientId)) };
      try {
        const res = await clientCredentials();
        expect(res.status).toBe(400);
        expect(res.json).toMatchObject({ error: 'invalid_grant' });
        expect(res.json.error_description).toContain('was suspended');
      } finally {
        s.ctx.storage.agents = real;
      }
    });

    it('a token under a grant of a suspended agent is inactive even when the grant itself was never revoked', async () => {
      const agent = await adminCreateAgent(s.bob.id);
      await s.ctx.storage.agents.update({ ...agent, status: 'suspended' });
      const grant = await createGrant(s.ctx, { userId: s.bob.id, agentId: agent.id });
      const token = await grantToken(s.ctx, grant);
      expect((await s.ctx.storage.grants.get(grant.id))?.revokedAt).toBeNull();
      expect(await isActive(s, token.token)).toBe(false);
      await s.ctx.storage.agents.update({ ...agent, status: 'active' });
      expect(await isActive(s, token.token)).toBe(true);
    });
  });

  describe('ID-2 an agent is deprovisioned with its owner', () => {
    it('disabling the owner (admin API) suspends every agent of the owner and revokes all the owner\'s grants', async () => {
      const erin = await createUser(s.ctx, 'erin@example.com');
      const first = await adminCreateAgent(erin.id);
      const second = await adminCreateAgent(erin.id);
      const chain = await delegationChain(erin.id, first.id);
      const res = await call(`${s.issuer}/admin/v1/users/${erin.id}/disable`, await adminToken(s.ctx), 'POST');
      expect(res.status).toBe(200);
      expect(res.json.suspended_agents.sort()).toEqual([first.id, second.id].sort());
      expect(res.json.revoked_grants.sort()).toEqual(Object.values(chain.grants).map((g) => g.id).sort());
      for (const id of [first.id, second.id]) expect((await s.ctx.storage.agents.get(id))?.status).toBe('suspended');
      for (const t of Object.values(chain.tokens)) expect(await isActive(s, t.token)).toBe(false);
      const jtis = await feedJtis();
      for (const t of Object.values(chain.tokens)) expect(jtis.has(t.jti)).toBe(true);
      // Re-activation waits for the owner.
      const activate = await call(`${s.issuer}/admin/v1/agents/${first.id}/activate`, await adminToken(s.ctx), 'POST');
      expect(activate.status).toBe(400);
    });
  });

  describe('RFC 6749 §5.2 helpers for the grants: a stopped agent is invalid_grant', () => {
    it('loadActiveAgent and agentForClient refuse absent, suspended and disabled-owner agents', async () => {
      const frank = await createUser(s.ctx, 'frank@example.com');
      const agent = await adminCreateAgent(frank.id, { client_id: 'nightly-report' });
      expect((await loadActiveAgent(s.ctx, agent.id)).id).toBe(agent.id);
      expect((await agentForClient(s.ctx, 'nightly-report'))?.id).toBe(agent.id);
      expect(await agentForClient(s.ctx, 'owner-app')).toBeNull();
      await expect(loadActiveAgent(s.ctx, 'agt_missing')).rejects.toBeInstanceOf(InvalidGrantError);
      await s.ctx.storage.users.update({ ...frank, disabled: true });
      await expect(loadActiveAgent(s.ctx, agent.id)).rejects.toThrow(/owner/);
      await expect(agentForClient(s.ctx, 'nightly-report')).rejects.toBeInstanceOf(InvalidGrantError);
      await s.ctx.storage.users.update({ ...frank, disabled: false });
      await s.ctx.storage.agents.update({ ...agent, status: 'suspended' });
      await expect(loadActiveAgent(s.ctx, agent.id)).rejects.toThrow(/suspended/);
    });
  });
});
