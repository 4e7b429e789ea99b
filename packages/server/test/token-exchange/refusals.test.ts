/**
 * Bad input at the token exchange grant: every refusal carries the RFC's error code (RFC 8693
 * §2.2.2: invalid subject or actor tokens, and tokens unacceptable by policy, are invalid_request;
 * targets invalid_target; scope invalid_scope), a clear reason, an audit event with the chain
 * known so far — and nothing is issued.
 */
import { describe, expect, it } from 'vitest';
import { accessTokenClaims, type JsonResponse } from '../token/fixtures.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { issueAccessToken } from '../../src/tokens/access-token.ts';
import { auth, createAgent, exchange, FILES, MCP, ORCHESTRATOR, SHALLOW, TT, useExchangeServer, userToken, type TestAgent } from './fixtures.ts';

describe('RFC 8693 §2.2.2 token exchange error responses', () => {
  const h = useExchangeServer();

  const exchangedCount = async () => (await h.server.ctx.storage.audit.list({ event: 'token_exchanged', limit: 10_000 })).length;

  /** Runs the exchange and checks the refusal: code, reason, audited, nothing issued. */
  async function refused(send: () => Promise<JsonResponse>, error: string, reason: RegExp): Promise<JsonResponse> {
    const before = await exchangedCount();
    const refusalsBefore = (await h.server.ctx.storage.audit.list({ event: 'token_exchange_refused', limit: 10_000 })).length;
    const res = await send();
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error).toBe(error);
    expect(res.body.error_description).toMatch(reason);
    expect(res.body.access_token).toBeUndefined();
    expect(await exchangedCount()).toBe(before);
    if (error !== 'unauthorized_client') {
      const refusals = await h.server.ctx.storage.audit.list({ event: 'token_exchange_refused', limit: 10_000 });
      expect(refusals.length).toBe(refusalsBefore + 1);
      expect(refusals.at(-1)!.reason).toContain(error);
    }
    return res;
  }

  const actorForm = async (a: TestAgent = h.agent) => ({ actor_token: await a.assertion(), actor_token_type: TT.jwt });

  describe('subject_token', () => {
    it('expired → invalid_request', async () => {
      const { token } = await userToken(h.server);
      h.server.shiftClock(h.server.ctx.config.ttl.accessToken + 120);
      try {
        await refused(async () => exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, resource: MCP }, auth.orchestrator), 'invalid_request', /expired/);
      } finally {
        h.server.shiftClock(0);
      }
    });

    it('revoked → invalid_request', async () => {
      const { token } = await userToken(h.server);
      await h.server.ctx.storage.accessTokens.revoke(accessTokenClaims(token).jti, h.server.ctx.now());
      await refused(async () => exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, resource: MCP }, auth.orchestrator), 'invalid_request', /revoked/);
    });

    it('our own signature over an `aud` that is neither a string nor an array (not a 500) → invalid_request', async () => {
      const { token } = await userToken(h.server);
      const odd = await h.server.ctx.keys.sign({ ...accessTokenClaims(token), aud: { not: 'an audience' } as unknown as string }, { typ: 'at+jwt' });
      await refused(async () => exchange(h.server, { subject_token: odd, subject_token_type: TT.accessToken, resource: MCP }, auth.orchestrator), 'invalid_request', /neither issued to this client nor addressed/);
    });

    it('issued by another authorization server → invalid_request', async () => {
      let other: TestServer | undefined;
      try {
        other = await startTestServer();
        const foreign = await issueAccessToken(other.server.ctx, { subject: h.server.alice.id, clientId: 'orchestrator', userId: null, grantId: null, scope: 'mcp:read', audience: [ORCHESTRATOR] });
        await refused(async () => exchange(h.server, { subject_token: foreign.token, subject_token_type: TT.accessToken, resource: MCP }, auth.orchestrator), 'invalid_request', /not a valid access token of this server/);
      } finally {
        await other?.close();
      }
    });

    it('addressed to a resource the requester does not operate → invalid_request', async () => {
      const { token } = await userToken(h.server, { resources: [MCP] });
      await refused(async () => exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, resource: FILES }, auth.orchestrator), 'invalid_request', /neither issued to this client nor addressed to a resource it operates/);
    });

    it('token-type mismatch: an access token sent as id_token → invalid_request', async () => {
      const { token } = await userToken(h.server);
      await refused(async () => exchange(h.server, { subject_token: token, subject_token_type: TT.idToken, resource: MCP }, auth.host), 'invalid_request', /not a valid ID token/);
    });

    it('token-type mismatch: an ID token sent as access_token → invalid_request', async () => {
      const { idToken } = await userToken(h.server);
      await refused(async () => exchange(h.server, { subject_token: idToken!, subject_token_type: TT.accessToken, resource: MCP }, auth.host), 'invalid_request', /not a valid access token/);
    });

    it('an unsupported subject_token_type → invalid_request', async () => {
      const { token } = await userToken(h.server);
      await refused(async () => exchange(h.server, { subject_token: token, subject_token_type: TT.refreshToken, resource: MCP }, auth.host), 'invalid_request', /subject_token_type .* is not accepted/);
    });

    it('the user was disabled → invalid_request', async () => {
      const { createUser } = await import('../token/fixtures.ts');
      const bob = await createUser(h.server.ctx, 'bob@example.com', 'Bob');
      const { token } = await userToken(h.server, { user: bob });
      await h.server.ctx.storage.users.update({ ...bob, disabled: true });
      await refused(async () => exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, resource: MCP }, auth.host), 'invalid_request', /disabled/);
    });
  });

  describe('actor_token', () => {
    it('of a suspended agent → invalid_request', async () => {
      const suspended = await createAgent(h.server, h.server.alice, { status: 'suspended' });
      const { token } = await userToken(h.server);
      await refused(async () => exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, ...(await actorForm(suspended)), resource: MCP }, auth.orchestrator), 'invalid_request', /suspended/);
    });

    it('of an agent whose owner is disabled → invalid_request', async () => {
      const { createUser } = await import('../token/fixtures.ts');
      const carol = await createUser(h.server.ctx, 'carol@example.com', 'Carol');
      const owned = await createAgent(h.server, carol);
      await h.server.ctx.storage.users.update({ ...carol, disabled: true });
      const { token } = await userToken(h.server);
      await refused(async () => exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, ...(await actorForm(owned)), resource: MCP }, auth.orchestrator), 'invalid_request', /owner .* is disabled/);
    });

    it('replayed (same jti twice) → invalid_request', async () => {
      const assertion = await h.agent.assertion();
      const first = await userToken(h.server);
      const ok = await exchange(h.server, { subject_token: first.token, subject_token_type: TT.accessToken, actor_token: assertion, actor_token_type: TT.jwt, resource: MCP }, auth.orchestrator);
      expect(ok.status).toBe(200);
      const second = await userToken(h.server);
      await refused(async () => exchange(h.server, { subject_token: second.token, subject_token_type: TT.accessToken, actor_token: assertion, actor_token_type: TT.jwt, resource: MCP }, auth.orchestrator), 'invalid_request', /already been used/);
    });

    it('long-lived, for another audience, or signed by a key not the agent\'s → invalid_request', async () => {
      const { token } = await userToken(h.server);
      const base = { subject_token: token, subject_token_type: TT.accessToken, actor_token_type: TT.jwt, resource: MCP };
      const now = h.server.ctx.now();
      await refused(async () => exchange(h.server, { ...base, actor_token: await h.agent.assertion({ exp: now + 3600 }) }, auth.orchestrator), 'invalid_request', /lives longer than/);
      await refused(async () => exchange(h.server, { ...base, actor_token: await h.agent.assertion({ aud: 'https://elsewhere.example' }) }, auth.orchestrator), 'invalid_request', /"aud" claim/);
      const impostor = await createAgent(h.server, h.server.alice);
      const { signAgentAssertion } = await import('./fixtures.ts');
      await refused(async () => exchange(h.server, { ...base, actor_token: await signAgentAssertion(h.server, h.agent.record.id, impostor.privateKey) }, auth.orchestrator), 'invalid_request', /not signed by a key of the agent/);
    });

    it('actor_token without actor_token_type, and the reverse → invalid_request', async () => {
      const { token } = await userToken(h.server);
      await refused(async () => exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, actor_token: await h.agent.assertion(), resource: MCP }, auth.orchestrator), 'invalid_request', /actor_token_type is required/);
      await refused(async () => exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, actor_token_type: TT.jwt, resource: MCP }, auth.orchestrator), 'invalid_request', /must not be sent without an actor_token/);
    });
  });

  describe('scope (DL-1, DL-4)', () => {
    it('asking only for scope beyond the subject token or the agent → invalid_scope', async () => {
      const { token } = await userToken(h.server, { scope: 'mcp:read' });
      await refused(async () => exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, ...(await actorForm()), resource: MCP, scope: 'mcp:write' }, auth.orchestrator), 'invalid_scope', /mcp:write: not allowed by subject_token/);
      await refused(async () => exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, ...(await actorForm()), resource: MCP, scope: 'mcp:admin' }, auth.orchestrator), 'invalid_scope', /mcp:admin: not allowed by subject_token, agent/);
    });
  });

  describe('RFC 8693 §4.1 actor chains: depth and loops', () => {
    it('a chain deeper than the acting agent allows → invalid_request', async () => {
      const shallowAgent = await createAgent(h.server, h.server.alice, { maxDelegationDepth: 1 });
      const { token } = await userToken(h.server);
      const hop1 = await exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, ...(await actorForm()), resource: MCP }, auth.orchestrator);
      expect(hop1.status).toBe(200);
      await refused(async () => exchange(h.server, { subject_token: hop1.body.access_token, subject_token_type: TT.accessToken, ...(await actorForm(shallowAgent)), resource: FILES }, auth.mcp), 'invalid_request', /would be 2 deep; at most 1/);
    });

    it('a chain deeper than the target allows → invalid_request', async () => {
      const second = await createAgent(h.server, h.server.alice);
      const { token } = await userToken(h.server);
      const hop1 = await exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, ...(await actorForm()), resource: MCP }, auth.orchestrator);
      await refused(async () => exchange(h.server, { subject_token: hop1.body.access_token, subject_token_type: TT.accessToken, ...(await actorForm(second)), resource: SHALLOW }, auth.mcp), 'invalid_request', /at most 1/);
    });

    it('an agent already in the chain (a delegation loop) → invalid_request, audited with the chain', async () => {
      const { token } = await userToken(h.server);
      const hop1 = await exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, ...(await actorForm()), resource: MCP }, auth.orchestrator);
      await refused(async () => exchange(h.server, { subject_token: hop1.body.access_token, subject_token_type: TT.accessToken, ...(await actorForm()), resource: FILES }, auth.mcp), 'invalid_request', /Delegation loop refused/);
      const last = (await h.server.ctx.storage.audit.list({ event: 'token_exchange_refused', limit: 10_000 })).at(-1)!;
      expect(last).toMatchObject({ userId: h.server.alice.id, agentId: h.agent.record.id, clientId: 'mcp-server', result: 'failure' });
      expect(last.data).toMatchObject({ principal: h.server.alice.id, actors: [h.agent.record.id], subject_jti: accessTokenClaims(hop1.body.access_token).jti });
    });
  });

  describe('RFC 8693 §2.1 audience and resource (RFC 8707)', () => {
    it('no target → invalid_target', async () => {
      const { token } = await userToken(h.server);
      await refused(async () => exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken }, auth.host), 'invalid_target', /Name the target service/);
    });

    it('a target the agent may not reach → invalid_target', async () => {
      const limited = await createAgent(h.server, h.server.alice, { allowedAudiences: [MCP] });
      const { token } = await userToken(h.server);
      await refused(async () => exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, ...(await actorForm(limited)), resource: FILES }, auth.orchestrator), 'invalid_target', /may not obtain tokens for/);
    });

    it('a malformed target → invalid_target', async () => {
      const { token } = await userToken(h.server);
      await refused(async () => exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, audience: 'not a uri' }, auth.host), 'invalid_target', /not an absolute URI/);
    });
  });

  describe('RFC 8693 §2.1 requested_token_type and client registration', () => {
    it('an unknown requested_token_type → invalid_request', async () => {
      const { token } = await userToken(h.server);
      await refused(async () => exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, requested_token_type: TT.refreshToken, resource: MCP }, auth.host), 'invalid_request', /requested_token_type/);
    });

    it('a client not registered for token exchange → unauthorized_client', async () => {
      const { token } = await userToken(h.server);
      await refused(async () => exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, resource: MCP }, auth.plain), 'unauthorized_client', /not registered for/);
    });
  });
});
