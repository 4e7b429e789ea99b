/**
 * ID tokens as subject tokens, and issuing an Identity Assertion JWT Authorization Grant
 * (draft-ietf-oauth-identity-assertion-authz-grant, DL-3) — tested with two Mandate instances as
 * two companies: a user of company A's agent gets a narrowly scoped token for company B's API,
 * without a second login, B accepting the ID-JAG at its jwt-bearer grant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { accessTokenClaims, createUser, postForm, type TokenServer } from '../token/fixtures.ts';
import { randomId } from '../../src/crypto/hash.ts';
import { auth, createAgent, exchange, MCP, ORCHESTRATOR, PARTNER_AS, startExchangeServer, TT, userToken, type TestAgent } from './fixtures.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const B_API = 'https://api.company-b.example/crm';
const B_SECRET = 'crm-client-secret-0123456789-abcdefghijklmno';

describe('draft-ietf-oauth-identity-assertion-authz-grant: ID-JAG issuance through token exchange', () => {
  let a: TokenServer;
  let agent: TestAgent;
  beforeAll(async () => {
    a = await startExchangeServer();
    agent = await createAgent(a, a.alice);
    await a.ctx.storage.consents.create({ id: randomId('cns'), userId: a.alice.id, clientId: 'host', scope: 'openid mcp:read crm:read', resources: [], authorizationDetails: null, createdAt: a.ctx.now(), revokedAt: null });
  });
  afterAll(async () => {
    await a?.close();
  });

  describe('OIDC Core §2 ID token as subject_token', () => {
    it('is exchanged by the client it was issued to, bounded by the user\'s consent', async () => {
      const { idToken } = await userToken(a);
      const res = await exchange(a, { subject_token: idToken!, subject_token_type: TT.idToken, actor_token: await agent.assertion(), actor_token_type: TT.jwt, resource: MCP, scope: 'mcp:read mcp:write' }, auth.host);
      expect(res.status).toBe(200);
      expect(res.body.scope).toBe('mcp:read'); // consent holds mcp:read only
      expect(accessTokenClaims(res.body.access_token)).toMatchObject({ sub: a.alice.id, aud: MCP, act: { sub: agent.record.id } });
    });

    it('an ID token issued to another client → invalid_request', async () => {
      const { idToken } = await userToken(a);
      const res = await exchange(a, { subject_token: idToken!, subject_token_type: TT.idToken, resource: MCP }, auth.orchestrator);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      expect(res.body.error_description).toMatch(/not a valid ID token of this server: The token's "aud"/);
    });
  });

  describe('requested_token_type = id-jag', () => {
    it('signs typ oauth-id-jag+jwt with the agreed claims; token_type N_A (RFC 8693 §2.2.1)', async () => {
      const { idToken } = await userToken(a);
      const res = await exchange(a, { subject_token: idToken!, subject_token_type: TT.idToken, requested_token_type: TT.idJag, audience: PARTNER_AS, resource: B_API, scope: 'crm:read calendar:read files:read' }, auth.host);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ issued_token_type: TT.idJag, token_type: 'N_A', scope: 'calendar:read crm:read' });
      expect(decodeProtectedHeader(res.body.access_token).typ).toBe('oauth-id-jag+jwt');
      const { payload } = await jwtVerify(res.body.access_token, createLocalJWKSet(await a.ctx.keys.jwks()), { issuer: a.issuer, audience: PARTNER_AS, typ: 'oauth-id-jag+jwt' });
      expect(payload).toMatchObject({ sub: a.alice.id, client_id: 'host-at-partner', email: a.alice.email, resource: B_API, scope: 'calendar:read crm:read' });
      expect(typeof payload.jti).toBe('string');
      expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(300);
      const event = (await a.ctx.storage.audit.list({ event: 'token_exchanged', limit: 1000 })).find((e) => e.data?.jti === payload.jti);
      expect(event).toMatchObject({ userId: a.alice.id, grantedScope: 'calendar:read crm:read', reason: 'scope narrowed: files:read: not allowed by trust list entry https://as.partner.example' });
    });

    it('draft §4.3: the subject is the user\'s ID token; a user access token is not an identity assertion → invalid_request', async () => {
      const { token } = await userToken(a);
      const res = await exchange(a, { subject_token: token, subject_token_type: TT.accessToken, requested_token_type: TT.idJag, audience: PARTNER_AS, scope: 'crm:read calendar:read' }, auth.host);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/an access token is not an identity assertion/) });
      expect(res.body.access_token).toBeUndefined();
    });

    it('draft §4.3: a resource server holding a narrowed on-behalf-of token cannot mint an ID-JAG with it → invalid_request', async () => {
      const { token } = await userToken(a);
      const narrowed = await exchange(a, { subject_token: token, subject_token_type: TT.accessToken, resource: ORCHESTRATOR, scope: 'mcp:read' }, auth.host);
      expect(narrowed.status).toBe(200);
      // The orchestrator operates ORCHESTRATOR (an exchanger), so it may exchange the token — but not into an identity assertion.
      const res = await exchange(a, { subject_token: narrowed.body.access_token, subject_token_type: TT.accessToken, requested_token_type: TT.idJag, audience: PARTNER_AS, scope: 'crm:read calendar:read' }, auth.orchestrator);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/ID token issued to this client/) });
    });

    it('draft §4.3 / OIDC Core §2: an ID token issued to another client → invalid_request', async () => {
      const { idToken } = await userToken(a);
      const res = await exchange(a, { subject_token: idToken!, subject_token_type: TT.idToken, requested_token_type: TT.idJag, audience: PARTNER_AS }, auth.orchestrator);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      expect(res.body.error_description).toMatch(/"aud"/);
    });

    it('an authorization server outside the trust list → invalid_target', async () => {
      const { idToken } = await userToken(a);
      const res = await exchange(a, { subject_token: idToken!, subject_token_type: TT.idToken, requested_token_type: TT.idJag, audience: 'https://as.unknown.example' }, auth.host);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_target' });
      expect(res.body.error_description).toMatch(/not in this server's ID-JAG trust list/);
    });
  });

  describe('DL-3 two companies: A issues the ID-JAG, B accepts it at its jwt-bearer grant', () => {
    let b: TestServer;
    afterAll(async () => {
      await b?.close();
    });

    it('a user of company A\'s agent gets a narrowly scoped token for company B\'s API without a second login', async () => {
      b = await startTestServer({
        scopesSupported: ['openid', 'crm:read', 'crm:write'],
        clients: [{ client_id: 'crm-client', client_secret: B_SECRET, token_endpoint_auth_method: 'client_secret_basic', grant_types: [JWT_BEARER] }],
        federation: { idJagIssuers: [{ issuer: a.issuer, jwks: await a.ctx.keys.jwks(), emailDomains: ['example.com'], clients: [{ clientId: 'crm-client', scopes: ['crm:read'], resources: [B_API] }] }] },
      });
      await createUser(b.server.ctx, a.alice.email, 'Alice at B');
      // A's trust list learns B's issuer once B is listening (its port is only known now).
      a.ctx.config.tokenExchange.idJagAudiences.push({ issuer: b.issuer, scopes: ['crm:read', 'crm:write'], clientIds: { host: 'crm-client' }, clients: [] });
      await a.ctx.storage.agents.update({ ...agent.record, allowedAudiences: [...agent.record.allowedAudiences, b.issuer], allowedScopes: [...agent.record.allowedScopes, 'crm:write'] });

      const { idToken } = await userToken(a);
      const jag = await exchange(a, { subject_token: idToken!, subject_token_type: TT.idToken, actor_token: await agent.assertion(), actor_token_type: TT.jwt, requested_token_type: TT.idJag, audience: b.issuer, resource: B_API, scope: 'crm:read crm:write' }, auth.host);
      expect(jag.status, JSON.stringify(jag.body)).toBe(200);

      const token = await postForm(`${b.issuer}/token`, { grant_type: JWT_BEARER, assertion: jag.body.access_token, resource: B_API, scope: 'crm:read crm:write' }, { basic: ['crm-client', B_SECRET] });
      expect(token.status, JSON.stringify(token.body)).toBe(200);
      const claims = accessTokenClaims(token.body.access_token);
      expect(claims).toMatchObject({ iss: b.issuer, aud: B_API, client_id: 'crm-client', scope: 'crm:read' });
      // Replaying the same ID-JAG at B is refused.
      const replay = await postForm(`${b.issuer}/token`, { grant_type: JWT_BEARER, assertion: jag.body.access_token, resource: B_API }, { basic: ['crm-client', B_SECRET] });
      expect(replay.status).toBe(400);
      expect(replay.body.error).toBe('invalid_grant');
    });
  });
});
