/**
 * Refreshing an exchanged grant (RFC 8693 §2.2.1 refresh_token, issue 3), through a real server on
 * SQLite and PostgreSQL: offline_access opts in, the refresh rebuilds the same chain and profile,
 * may narrow but never widen, rotates with reuse detection, stays DPoP-bound, and stops as soon as
 * anything upstream (agent, owner, parent grant, user) stops or a depth limit falls below the chain.
 */
import { describe, expect, it } from 'vitest';
import { suspendAgent } from '../../src/agents/registry.ts';
import { issueRefreshToken } from '../../src/tokens/refresh-token.ts';
import type { Backend } from '../helpers/test-server.ts';
import { accessTokenClaims, auditEvents, createCode, createUser, exchangeCode, introspect, proofKey, refresh, SECRET, tokenProof, type Form, type PostOptions } from '../token/fixtures.ts';
import { auth, createAgent, CRM, exchange, exchangeConfig, EXCHANGE_CLIENTS, FILES, MCP, ORCHESTRATOR, TOKEN_EXCHANGE, TT, useExchangeServer, userToken, type TestAgent } from './fixtures.ts';

/** The exchange fixtures' clients, with the on-behalf-of hops also registered for refresh_token. */
const CLIENTS = EXCHANGE_CLIENTS.map((c) =>
  c.client_id === 'orchestrator' || c.client_id === 'mcp-server' ? { ...c, grant_types: [TOKEN_EXCHANGE, 'client_credentials', 'refresh_token'] } : c,
);
const SHORT = { client_id: 'short', client_secret: 'short-secret-0123456789-abcdefghijklmnopqrstu', token_endpoint_auth_method: 'client_secret_basic', grant_types: [TOKEN_EXCHANGE] };
const shortAuth: PostOptions = { basic: ['short', SHORT.client_secret] };

function config() {
  const base = exchangeConfig();
  const resources = base.tokenExchange!.resources!.map((r) => (r.resource === ORCHESTRATOR ? { ...r, exchangers: [...(r.exchangers ?? []), 'short'] } : r));
  return { clients: [...CLIENTS, SHORT], tokenExchange: { ...base.tokenExchange, resources } };
}

describe.each<Backend>(['sqlite', 'postgres'])('RFC 8693 §2.2.1 refresh of exchanged grants (%s)', (backend) => {
  const h = useExchangeServer(backend, config);

  async function hop1(o: { form?: Form; options?: PostOptions; actor?: TestAgent; subject?: string } = {}) {
    const subject = o.subject ?? (await userToken(h.server)).token;
    const form: Form = { subject_token: subject, subject_token_type: TT.accessToken, actor_token: await (o.actor ?? h.agent).assertion(), actor_token_type: TT.jwt, resource: MCP, scope: 'mcp:read mcp:write offline_access', ...o.form };
    const res = await exchange(h.server, form, o.options ?? auth.orchestrator);
    expect(res.status).toBe(200);
    return res;
  }

  const grantOf = async (token: string) => (await h.server.ctx.storage.accessTokens.get(String(accessTokenClaims(token).jti)))!.grantId!;

  describe('who gets a refresh token', () => {
    it('offline_access from a client registered for refresh_token: a refresh token, offline_access not in the token', async () => {
      const res = await hop1();
      expect(typeof res.body.refresh_token).toBe('string');
      expect(res.body.scope).toBe('mcp:read mcp:write');
      expect(accessTokenClaims(res.body.access_token).scope).toBe('mcp:read mcp:write');
      const grant = await h.server.ctx.storage.grants.get(await grantOf(res.body.access_token));
      expect(grant?.delegation).toMatchObject({ profile: 'impersonation', chain: { principal: h.server.alice.id, actors: [{ sub: h.agent.record.id }] }, acr: 'urn:mandate:acr:mfa', amr: ['pwd', 'otp'] });
      const [event] = (await auditEvents(h.server, 'token_exchanged')).slice(-1);
      expect(event?.reason ?? '').not.toMatch(/offline_access/);
      expect(event?.data?.refresh_token_id).toEqual(expect.any(String));
    });

    it('without offline_access, or from a client not registered for refresh_token: no refresh token, and the audit says why', async () => {
      const plain = await hop1({ form: { scope: 'mcp:read' } });
      expect(plain.body.refresh_token).toBeUndefined();
      const { token } = await userToken(h.server);
      const short = await exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, actor_token: await h.agent.assertion(), actor_token_type: TT.jwt, resource: MCP, scope: 'mcp:read offline_access' }, shortAuth);
      expect(short.status).toBe(200);
      expect(short.body.refresh_token).toBeUndefined();
      const [event] = (await auditEvents(h.server, 'token_exchanged')).slice(-1);
      expect(event?.reason).toMatch(/offline_access: no refresh token, the client is not registered for the refresh_token grant/);
    });

    it('a user grant without offline access at the root of the chain gives none either', async () => {
      const issued = await createCode(h.server.ctx, { clientId: 'no-refresh-app', userId: h.server.alice.id, scope: 'mcp:read mcp:write', resources: [ORCHESTRATOR] });
      const code = await exchangeCode(h.server, issued, {}, { basic: ['no-refresh-app', SECRET.web] });
      expect(code.status).toBe(200);
      const res = await hop1({ subject: code.body.access_token });
      expect(res.body.refresh_token).toBeUndefined();
    });
  });

  describe('RFC 6749 §6 the refresh rebuilds the same token', () => {
    it('same act chain and agent claims, audience = the targets, narrower scope allowed, wider refused', async () => {
      const first = await hop1();
      const again = await refresh(h.server, first.body.refresh_token, { scope: 'mcp:read' }, auth.orchestrator);
      expect(again.status).toBe(200);
      expect(again.body.scope).toBe('mcp:read');
      const before = accessTokenClaims(first.body.access_token);
      const after = accessTokenClaims(again.body.access_token);
      expect(after).toMatchObject({ sub: h.server.alice.id, aud: MCP, client_id: 'orchestrator', scope: 'mcp:read', act: { sub: h.agent.record.id }, agent_id: h.agent.record.id, acr: before.acr, amr: before.amr, auth_time: before.auth_time });
      expect(after.on_behalf_of).toBeUndefined();
      expect((await introspect(h.server, again.body.access_token)).body).toMatchObject({ active: true, sub: h.server.alice.id, act: { sub: h.agent.record.id } });
      const wider = await refresh(h.server, again.body.refresh_token, { scope: 'mcp:read files:read' }, auth.orchestrator);
      expect(wider.body.error).toBe('invalid_scope');
      const offline = await refresh(h.server, again.body.refresh_token, { scope: 'mcp:read offline_access' }, auth.orchestrator);
      expect(offline.body.error).toBe('invalid_scope');
      const [audit] = (await auditEvents(h.server, 'token_refreshed')).slice(-1);
      expect(audit).toMatchObject({ agentId: null, grantedScope: 'mcp:read', data: { profile: 'impersonation', principal: h.server.alice.id, actors: [h.agent.record.id], act: { sub: h.agent.record.id } } });
    });

    it('the delegation profile keeps sub = the agent and on_behalf_of = the user', async () => {
      const { token } = await userToken(h.server, { scope: 'openid crm:read' });
      const res = await hop1({ subject: token, form: { resource: CRM, scope: 'crm:read offline_access' } });
      const again = await refresh(h.server, res.body.refresh_token, {}, auth.orchestrator);
      expect(again.status).toBe(200);
      expect(accessTokenClaims(again.body.access_token)).toMatchObject({ sub: h.agent.record.id, on_behalf_of: h.server.alice.id, aud: CRM, scope: 'crm:read', agent_id: h.agent.record.id });
      expect(accessTokenClaims(again.body.access_token).act).toBeUndefined();
      expect((await introspect(h.server, again.body.access_token)).body).toMatchObject({ active: true, sub: h.agent.record.id, on_behalf_of: h.server.alice.id });
    });

    it('a chain two exchanges deep survives the refresh; revoking the middle grant ends it', async () => {
      const second = await createAgent(h.server, h.server.alice);
      const first = await hop1();
      const deep = await exchange(h.server, { subject_token: first.body.access_token, subject_token_type: TT.accessToken, actor_token: await second.assertion(), actor_token_type: TT.jwt, resource: FILES, scope: 'mcp:read offline_access' }, auth.mcp);
      expect(typeof deep.body.refresh_token).toBe('string');
      const again = await refresh(h.server, deep.body.refresh_token, {}, auth.mcp);
      expect(again.status).toBe(200);
      const chain = { sub: h.server.alice.id, aud: FILES, scope: 'mcp:read', act: { sub: second.record.id, act: { sub: h.agent.record.id } }, agent_id: second.record.id };
      expect(accessTokenClaims(again.body.access_token)).toMatchObject(chain);
      expect((await introspect(h.server, again.body.access_token)).body).toMatchObject({ active: true, act: chain.act });

      await h.server.ctx.storage.grants.revokeTree(await grantOf(first.body.access_token), h.server.ctx.now(), 'middle hop revoked');
      expect((await refresh(h.server, again.body.refresh_token, {}, auth.mcp)).body.error).toBe('invalid_grant');
      expect((await introspect(h.server, again.body.access_token)).body).toEqual({ active: false });
    });
  });

  describe('OAuth 2.1 §4.3.1 rotation and RFC 9700 §4.14.2 reuse detection', () => {
    it('a rotated refresh token presented again revokes the derived grant and its successor', async () => {
      const first = await hop1();
      const second = await refresh(h.server, first.body.refresh_token, {}, auth.orchestrator);
      expect(second.status).toBe(200);
      expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
      const reuse = await refresh(h.server, first.body.refresh_token, {}, auth.orchestrator);
      expect(reuse.body.error).toBe('invalid_grant');
      expect((await refresh(h.server, second.body.refresh_token, {}, auth.orchestrator)).body.error).toBe('invalid_grant');
      expect((await introspect(h.server, second.body.access_token)).body).toEqual({ active: false });
      expect((await h.server.ctx.storage.grants.get(await grantOf(first.body.access_token)))?.revokedReason).toBe('refresh_token_reuse');
    });

    it('another client cannot use it', async () => {
      const first = await hop1();
      expect((await refresh(h.server, first.body.refresh_token, {}, auth.mcp)).body.error).toBe('invalid_grant');
    });
  });

  describe('RFC 9449 §5 a DPoP-bound exchange gives a DPoP-bound refresh token', () => {
    it('refresh needs a proof of the same key, and the new token is bound to it', async () => {
      const key = await proofKey();
      const first = await hop1({ options: { ...auth.orchestrator, dpop: await tokenProof(h.server, key) } });
      expect(first.body.token_type).toBe('DPoP');
      const none = await refresh(h.server, first.body.refresh_token, {}, auth.orchestrator);
      expect(none.body.error).toBe('invalid_dpop_proof');
      const other = await refresh(h.server, first.body.refresh_token, {}, { ...auth.orchestrator, dpop: await tokenProof(h.server, await proofKey()) });
      expect(other.body.error).toBe('invalid_grant');
      const same = await refresh(h.server, first.body.refresh_token, {}, { ...auth.orchestrator, dpop: await tokenProof(h.server, key) });
      expect(same.status).toBe(200);
      expect(same.body.token_type).toBe('DPoP');
      expect(accessTokenClaims(same.body.access_token).cnf).toEqual({ jkt: key.jkt });
      const next = await refresh(h.server, same.body.refresh_token, {}, auth.orchestrator);
      expect(next.body.error).toBe('invalid_dpop_proof');
    });
  });

  describe('ID-2 / CO-1 every refresh re-checks the chain', () => {
    it('suspending the agent: invalid_grant, and the refreshed token is inactive', async () => {
      const doomed = await createAgent(h.server, h.server.alice);
      const first = await hop1({ actor: doomed });
      const again = await refresh(h.server, first.body.refresh_token, {}, auth.orchestrator);
      await suspendAgent(h.server.ctx, doomed.record, 'owner suspended the agent', 'owner');
      expect((await refresh(h.server, again.body.refresh_token, {}, auth.orchestrator)).body.error).toBe('invalid_grant');
      expect((await introspect(h.server, again.body.access_token)).body).toEqual({ active: false });
    });

    it('the agent owner disabled (without suspension yet): invalid_grant', async () => {
      const owner = await createUser(h.server.ctx, `owner-${backend}@example.com`, 'Owner');
      const owned = await createAgent(h.server, owner);
      const first = await hop1({ actor: owned });
      await h.server.ctx.storage.users.update({ ...owner, disabled: true });
      const res = await refresh(h.server, first.body.refresh_token, {}, auth.orchestrator);
      expect(res.body.error).toBe('invalid_grant');
    });

    it('revoking the parent (user) grant: invalid_grant, and the refreshed token is inactive', async () => {
      const { token, grantId } = await userToken(h.server);
      const first = await hop1({ subject: token });
      const again = await refresh(h.server, first.body.refresh_token, {}, auth.orchestrator);
      await h.server.ctx.storage.grants.revokeTree(grantId, h.server.ctx.now(), 'consent withdrawn');
      expect((await refresh(h.server, again.body.refresh_token, {}, auth.orchestrator)).body.error).toBe('invalid_grant');
      expect((await introspect(h.server, again.body.access_token)).body).toEqual({ active: false });
    });

    it('a delegated grant written just after its parent was revoked (a race with the cascade) is refused', async () => {
      const { token, grantId } = await userToken(h.server);
      const first = await hop1({ subject: token });
      const derived = (await h.server.ctx.storage.grants.get(await grantOf(first.body.access_token)))!;
      await h.server.ctx.storage.grants.revokeTree(grantId, h.server.ctx.now(), 'consent withdrawn');
      // What a commit landing after the cascade leaves behind: a live child of a revoked parent.
      const late = { ...derived, id: `${derived.id}-late`, revokedAt: null, revokedReason: null };
      await h.server.ctx.storage.grants.create(late);
      const rt = await issueRefreshToken(h.server.ctx, { grantId: late.id, clientId: 'orchestrator', userId: h.server.alice.id, scope: late.scope, resources: late.resources, authorizationDetails: null, dpopJkt: null, authTime: null, acr: null, amr: [], nonce: null, familyStartedAt: late.createdAt });
      const res = await refresh(h.server, rt.token, {}, auth.orchestrator);
      expect(res.body).toMatchObject({ error: 'invalid_grant', error_description: 'The grant this delegation derives from has been revoked.' });
    });

    it("the owner narrowing the agent's allowed scopes or audiences applies at the next refresh", async () => {
      const narrowed = await createAgent(h.server, h.server.alice);
      const first = await hop1({ actor: narrowed });
      await h.server.ctx.storage.agents.update({ ...narrowed.record, allowedScopes: ['mcp:read'], updatedAt: h.server.ctx.now() });
      const again = await refresh(h.server, first.body.refresh_token, {}, auth.orchestrator);
      expect(again.body.scope).toBe('mcp:read');
      const [audit] = (await auditEvents(h.server, 'token_refreshed')).slice(-1);
      expect(audit?.data?.scope_dropped).toEqual(["mcp:write: no longer in the agent's allowed scopes"]);
      await h.server.ctx.storage.agents.update({ ...narrowed.record, allowedAudiences: [FILES], updatedAt: h.server.ctx.now() });
      expect((await refresh(h.server, again.body.refresh_token, {}, auth.orchestrator)).body.error).toBe('invalid_target');
    });

    it("RFC 8693 §4.1: lowering the agent's maxDelegationDepth or the target's maxDepth stops the refreshes of a deeper chain", async () => {
      const second = await createAgent(h.server, h.server.alice);
      const first = await hop1();
      const deep = await exchange(h.server, { subject_token: first.body.access_token, subject_token_type: TT.accessToken, actor_token: await second.assertion(), actor_token_type: TT.jwt, resource: FILES, scope: 'mcp:read offline_access' }, auth.mcp);
      expect(typeof deep.body.refresh_token).toBe('string'); // a chain two deep
      await h.server.ctx.storage.agents.update({ ...second.record, maxDelegationDepth: 1, updatedAt: h.server.ctx.now() });
      const capped = await refresh(h.server, deep.body.refresh_token, {}, auth.mcp);
      expect(capped.body).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/2 deep; at most 1 is allowed/) });
      // The refusal came before the rotation: with the limit back, the same refresh token works.
      await h.server.ctx.storage.agents.update({ ...second.record, updatedAt: h.server.ctx.now() });
      const again = await refresh(h.server, deep.body.refresh_token, {}, auth.mcp);
      expect(again.status, JSON.stringify(again.body)).toBe(200);
      // The target's own limit, lowered by the operator (tokenExchange.resources[].maxDepth).
      const files = h.server.ctx.config.tokenExchange.resources.find((r) => r.resource === FILES)!;
      const before = files.maxDepth;
      files.maxDepth = 1;
      try {
        expect((await refresh(h.server, again.body.refresh_token, {}, auth.mcp)).body).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/2 deep; at most 1 is allowed/) });
      } finally {
        files.maxDepth = before;
      }
      expect((await refresh(h.server, again.body.refresh_token, {}, auth.mcp)).status).toBe(200);
    });

    it('disabling the user: invalid_grant at once; with the admin revocation the token is inactive', async () => {
      const bob = await createUser(h.server.ctx, `bob-${backend}@example.com`, 'Bob');
      const { token } = await userToken(h.server, { user: bob });
      const first = await hop1({ subject: token });
      const again = await refresh(h.server, first.body.refresh_token, {}, auth.orchestrator);
      await h.server.ctx.storage.users.update({ ...bob, disabled: true });
      expect((await refresh(h.server, again.body.refresh_token, {}, auth.orchestrator)).body.error).toBe('invalid_grant');
      // admin/users.ts disableUser revokes the user's grants with the flag.
      await h.server.ctx.storage.grants.revokeByUser(bob.id, h.server.ctx.now(), 'user disabled by an administrator');
      expect((await introspect(h.server, again.body.access_token)).body).toEqual({ active: false });
    });
  });
});
