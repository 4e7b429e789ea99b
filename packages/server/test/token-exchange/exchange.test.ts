/**
 * The token exchange grant (RFC 8693) through a real server: both token profiles, the three ways
 * an agent proves itself, DPoP binding, the derived grant and its revocation, introspection of
 * the chain, and the audit of each exchange.
 */
import { describe, expect, it } from 'vitest';
import { decodeProtectedHeader } from 'jose';
import { accessTokenClaims, introspect, postForm, proofKey, tokenProof } from '../token/fixtures.ts';
import { auth, createAgent, CRM, exchange, FILES, MCP, ORCHESTRATOR, TT, useExchangeServer, userToken } from './fixtures.ts';

describe('RFC 8693 token exchange', () => {
  const h = useExchangeServer();

  describe('RFC 8693 §2.2.1 impersonation profile with an actor (DL-2)', () => {
    it('issues sub = user, act = the agent, aud = the next hop, scope narrowed, issued_token_type', async () => {
      const { token, grantId } = await userToken(h.server);
      const res = await exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, actor_token: await h.agent.assertion(), actor_token_type: TT.jwt, resource: MCP, scope: 'mcp:read' }, auth.orchestrator);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body).toMatchObject({ issued_token_type: TT.accessToken, token_type: 'Bearer', scope: 'mcp:read' });
      expect(res.body.refresh_token).toBeUndefined();
      expect(decodeProtectedHeader(res.body.access_token).typ).toBe('at+jwt');
      const claims = accessTokenClaims(res.body.access_token);
      expect(claims).toMatchObject({ iss: h.server.issuer, sub: h.server.alice.id, aud: MCP, client_id: 'orchestrator', scope: 'mcp:read', act: { sub: h.agent.record.id } });
      expect(claims.on_behalf_of).toBeUndefined();
      expect(claims.exp - claims.iat).toBeLessThanOrEqual(h.server.ctx.config.tokenExchange.ttl);
      // CO-1: a derived grant, child of the subject token's grant, naming the agent.
      const record = await h.server.ctx.storage.accessTokens.get(claims.jti);
      const derived = await h.server.ctx.storage.grants.get(record!.grantId!);
      expect(derived).toMatchObject({ parentGrantId: grantId, agentId: h.agent.record.id, userId: h.server.alice.id, clientId: 'orchestrator', scope: 'mcp:read', resources: [MCP] });
    });

    it('with no scope requested grants the whole intersection (subject ∩ agent ∩ client ∩ target)', async () => {
      const { token } = await userToken(h.server);
      const res = await exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, actor_token: await h.agent.assertion(), actor_token_type: TT.jwt, resource: FILES }, auth.orchestrator);
      expect(res.status).toBe(200);
      // subject: openid mcp:read mcp:write files:read files:write; agent: no files:write; client orchestrator: mcp:read mcp:write files:read crm:read;
      // FILES ceiling: files:read files:write mcp:read.
      expect(res.body.scope).toBe('files:read mcp:read');
    });

    it('a second hop nests the prior actor inside the new one (RFC 8693 §4.1)', async () => {
      const second = await createAgent(h.server, h.server.alice);
      const { token } = await userToken(h.server);
      const hop1 = await exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, actor_token: await h.agent.assertion(), actor_token_type: TT.jwt, resource: MCP, scope: 'mcp:read mcp:write' }, auth.orchestrator);
      const hop2 = await exchange(h.server, { subject_token: hop1.body.access_token, subject_token_type: TT.accessToken, actor_token: await second.assertion(), actor_token_type: TT.jwt, resource: FILES, scope: 'files:read mcp:read' }, auth.mcp);
      expect(hop2.status).toBe(200);
      const claims = accessTokenClaims(hop2.body.access_token);
      expect(claims).toMatchObject({ sub: h.server.alice.id, aud: FILES, act: { sub: second.record.id, act: { sub: h.agent.record.id } } });
      expect(claims.scope).toBe('mcp:read'); // hop 1 carried no files:read: the chain only narrows
      expect(hop2.body.scope).toBe('mcp:read');
    });
  });

  describe('RFC 8693 §1.1 delegation profile (DL-2)', () => {
    it('issues sub = the agent and on_behalf_of = the user for a delegation target', async () => {
      const { token } = await userToken(h.server, { scope: 'crm:read mcp:read' });
      const res = await exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, actor_token: await h.agent.assertion(), actor_token_type: TT.jwt, audience: CRM }, auth.orchestrator);
      expect(res.status).toBe(200);
      const claims = accessTokenClaims(res.body.access_token);
      expect(claims).toMatchObject({ sub: h.agent.record.id, on_behalf_of: h.server.alice.id, aud: CRM, scope: 'crm:read mcp:read' });
      expect(claims.act).toBeUndefined();
    });

    it('a delegation target without an actor is invalid_request', async () => {
      const { token } = await userToken(h.server, { scope: 'crm:read' });
      const res = await exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, resource: CRM }, auth.host);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      expect(res.body.error_description).toMatch(/delegation profile/);
    });
  });

  describe('ID-1 how the agent proves itself', () => {
    it('a client credentials access token of the client the agent is bound to', async () => {
      // Requested without a resource, so its aud is the issuer: an audience the agent must hold (DL-4, RFC 8707 §2).
      const bound = await createAgent(h.server, h.server.alice, { clientId: 'plain', allowedAudiences: [MCP, h.server.issuer] });
      const cc = await postForm(h.server.tokenUrl, { grant_type: 'client_credentials' }, auth.plain);
      expect(cc.status).toBe(200);
      const { token } = await userToken(h.server);
      const res = await exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, actor_token: cc.body.access_token, actor_token_type: TT.accessToken, resource: MCP, scope: 'mcp:read' }, auth.orchestrator);
      expect(res.status).toBe(200);
      expect(accessTokenClaims(res.body.access_token).act).toEqual({ sub: bound.record.id });
    });

    it('a user access token is not an actor token', async () => {
      const { token } = await userToken(h.server);
      const res = await exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, actor_token: token, actor_token_type: TT.accessToken, resource: MCP }, auth.orchestrator);
      expect(res.status).toBe(400);
      expect(res.body.error_description).toMatch(/client credentials token/);
    });

    it('without an actor_token, the agent the requesting client is bound to acts', async () => {
      const boundToMcp = await createAgent(h.server, h.server.alice, { clientId: 'mcp-server' });
      const { token } = await userToken(h.server, { resources: [MCP] });
      const res = await exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, resource: FILES, scope: 'mcp:read' }, auth.mcp);
      expect(res.status).toBe(200);
      expect(accessTokenClaims(res.body.access_token).act).toEqual({ sub: boundToMcp.record.id });
      await h.server.ctx.storage.agents.update({ ...boundToMcp.record, clientId: null });
    });

    it('a plain client without an agent only narrows: same subject, no act', async () => {
      const { token } = await userToken(h.server);
      const res = await exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, resource: ORCHESTRATOR, scope: 'mcp:read' }, auth.host);
      expect(res.status).toBe(200);
      const claims = accessTokenClaims(res.body.access_token);
      expect(claims).toMatchObject({ sub: h.server.alice.id, aud: ORCHESTRATOR, scope: 'mcp:read', client_id: 'host' });
      expect(claims.act).toBeUndefined();
    });
  });

  describe('RFC 9449 §5 DPoP-bound exchanged tokens', () => {
    it('binds the token to the proof key when the requester sends a proof', async () => {
      const key = await proofKey();
      const { token } = await userToken(h.server);
      const res = await exchange(
        h.server,
        { subject_token: token, subject_token_type: TT.accessToken, actor_token: await h.agent.assertion(), actor_token_type: TT.jwt, resource: MCP, scope: 'mcp:read' },
        { ...auth.orchestrator, dpop: await tokenProof(h.server, key) },
      );
      expect(res.status).toBe(200);
      expect(res.body.token_type).toBe('DPoP');
      expect(accessTokenClaims(res.body.access_token).cnf).toEqual({ jkt: key.jkt });
    });
  });

  describe('RFC 9449 §6.1 a DPoP-bound subject token is exchanged only with its key', () => {
    it('by its own client: without a proof → invalid_dpop_proof, with another key → invalid_request, with its key → 200', async () => {
      const key = await proofKey();
      const { token } = await userToken(h.server);
      const bound = await exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, resource: ORCHESTRATOR, scope: 'mcp:read mcp:write' }, { ...auth.host, dpop: await tokenProof(h.server, key) });
      expect(bound.body.token_type).toBe('DPoP');
      const form = { subject_token: bound.body.access_token, subject_token_type: TT.accessToken, resource: ORCHESTRATOR, scope: 'mcp:read' };
      const none = await exchange(h.server, form, auth.host);
      expect(none.body.error).toBe('invalid_dpop_proof');
      const other = await exchange(h.server, form, { ...auth.host, dpop: await tokenProof(h.server, await proofKey()) });
      expect(other.body).toMatchObject({ error: 'invalid_request', error_description: 'The DPoP proof key is not the key the subject_token is bound to.' });
      const same = await exchange(h.server, form, { ...auth.host, dpop: await tokenProof(h.server, key) });
      expect(same.status).toBe(200);
      expect(accessTokenClaims(same.body.access_token).cnf).toEqual({ jkt: key.jkt });
    });

    it('by the resource server it is addressed to (on-behalf-of): no proof of the caller\'s key needed', async () => {
      const key = await proofKey();
      const { token } = await userToken(h.server);
      const bound = await exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, resource: ORCHESTRATOR }, { ...auth.host, dpop: await tokenProof(h.server, key) });
      const res = await exchange(h.server, { subject_token: bound.body.access_token, subject_token_type: TT.accessToken, actor_token: await h.agent.assertion(), actor_token_type: TT.jwt, resource: MCP }, auth.orchestrator);
      expect(res.status).toBe(200);
      expect(res.body.token_type).toBe('Bearer');
    });
  });

  describe('RFC 7662 introspection returns the whole chain; CO-1 revocation follows the grant tree', () => {
    it('introspection shows act; revoking the user grant makes every derived token inactive at once', async () => {
      const second = await createAgent(h.server, h.server.alice);
      const { token, grantId } = await userToken(h.server);
      const hop1 = await exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, actor_token: await h.agent.assertion(), actor_token_type: TT.jwt, resource: MCP }, auth.orchestrator);
      const hop2 = await exchange(h.server, { subject_token: hop1.body.access_token, subject_token_type: TT.accessToken, actor_token: await second.assertion(), actor_token_type: TT.jwt, resource: FILES }, auth.mcp);
      const seen = await introspect(h.server, hop2.body.access_token);
      expect(seen.body).toMatchObject({ active: true, sub: h.server.alice.id, act: { sub: second.record.id, act: { sub: h.agent.record.id } } });

      await h.server.ctx.storage.grants.revokeTree(grantId, h.server.ctx.now(), 'consent withdrawn');
      expect((await introspect(h.server, hop1.body.access_token)).body).toEqual({ active: false });
      expect((await introspect(h.server, hop2.body.access_token)).body).toEqual({ active: false });
      // and nothing more can be exchanged from them
      const again = await exchange(h.server, { subject_token: hop1.body.access_token, subject_token_type: TT.accessToken, resource: FILES }, auth.mcp);
      expect(again.status).toBe(400);
      expect(again.body.error_description).toMatch(/revoked/);
    });

    it('suspending the agent (ID-2) makes its exchanged tokens inactive and stops further exchanges', async () => {
      const { suspendAgent } = await import('../../src/agents/registry.ts');
      const doomed = await createAgent(h.server, h.server.alice);
      const { token } = await userToken(h.server);
      const res = await exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, actor_token: await doomed.assertion(), actor_token_type: TT.jwt, resource: MCP }, auth.orchestrator);
      expect((await introspect(h.server, res.body.access_token)).body.active).toBe(true);
      await suspendAgent(h.server.ctx, doomed.record, 'owner suspended the agent', 'owner');
      expect((await introspect(h.server, res.body.access_token)).body).toEqual({ active: false });
      expect((await introspect(h.server, token)).body.active).toBe(true); // the user's own token is untouched
      const again = await exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, actor_token: await doomed.assertion(), actor_token_type: TT.jwt, resource: MCP }, auth.orchestrator);
      expect(again.body).toMatchObject({ error: 'invalid_request' });
      expect(again.body.error_description).toMatch(/suspended/);
    });

    it('introspection of a delegation token returns on_behalf_of', async () => {
      const { token } = await userToken(h.server, { scope: 'crm:read' });
      const res = await exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, actor_token: await h.agent.assertion(), actor_token_type: TT.jwt, resource: CRM }, auth.orchestrator);
      expect((await introspect(h.server, res.body.access_token)).body).toMatchObject({ active: true, sub: h.agent.record.id, on_behalf_of: h.server.alice.id });
    });
  });

  describe('AU-2 every exchange audited with the chain and the narrowing', () => {
    it('records actors, requested vs granted scope and why it was narrowed; no token in the log', async () => {
      const { token } = await userToken(h.server);
      const assertion = await h.agent.assertion();
      const res = await exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, actor_token: assertion, actor_token_type: TT.jwt, resource: MCP, scope: 'mcp:read files:write' }, auth.orchestrator);
      expect(res.status).toBe(200);
      const jti = accessTokenClaims(res.body.access_token).jti;
      const events = await h.server.ctx.storage.audit.list({ event: 'token_exchanged', limit: 1000 });
      const event = events.find((e) => e.data?.jti === jti)!;
      expect(event).toMatchObject({
        userId: h.server.alice.id,
        agentId: h.agent.record.id,
        clientId: 'orchestrator',
        requestedScope: 'mcp:read files:write',
        grantedScope: 'mcp:read',
        resource: MCP,
        result: 'success',
      });
      expect(event.reason).toMatch(/files:write: not allowed by agent/);
      expect(event.data).toMatchObject({ profile: 'impersonation', principal: h.server.alice.id, actors: [h.agent.record.id], act: { sub: h.agent.record.id }, subject_jti: accessTokenClaims(token).jti });
      const text = JSON.stringify(events);
      expect(text.includes(token) || text.includes(assertion) || text.includes(res.body.access_token)).toBe(false);
    });
  });

  describe('RFC 8693 §4.4 may_act', () => {
    it('an actor named by may_act may act; another one is refused', async () => {
      const { issueAccessToken } = await import('../../src/tokens/access-token.ts');
      const { token } = await userToken(h.server);
      const grantId = (await h.server.ctx.storage.accessTokens.get(accessTokenClaims(token).jti))!.grantId;
      const withMayAct = await issueAccessToken(h.server.ctx, {
        subject: h.server.alice.id,
        clientId: 'host',
        userId: h.server.alice.id,
        grantId,
        scope: 'mcp:read',
        audience: [ORCHESTRATOR],
        extraClaims: { may_act: { sub: h.agent.record.id } },
      });
      const ok = await exchange(h.server, { subject_token: withMayAct.token, subject_token_type: TT.accessToken, actor_token: await h.agent.assertion(), actor_token_type: TT.jwt, resource: MCP }, auth.orchestrator);
      expect(ok.status).toBe(200);
      const stranger = await createAgent(h.server, h.server.alice);
      const refused = await exchange(h.server, { subject_token: withMayAct.token, subject_token_type: TT.accessToken, actor_token: await stranger.assertion(), actor_token_type: TT.jwt, resource: MCP }, auth.orchestrator);
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ error: 'invalid_request' });
      expect(refused.body.error_description).toMatch(/may_act does not allow/);
    });
  });
});
