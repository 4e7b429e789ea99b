/**
 * openid-client v6 `genericGrantRequest` for every token exchange variant (RFC 8693): impersonation
 * with an agent's signed actor token, delegation, an agent's client credentials token as actor, a
 * DPoP-bound exchange, an ID-JAG, a refresh of an exchanged grant (the chain kept), and a refusal — and oauth4webapi's `validateJwtAccessToken`
 * accepting the exchanged token at a resource server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { decodeJwt, decodeProtectedHeader, generateKeyPair } from 'jose';
import { postForm, type TokenServer } from '../../../packages/server/test/token/fixtures.ts';
import { auth, createAgent, CRM, EXCHANGE_CLIENTS, EXCHANGE_SECRET, startExchangeServer, TT, userToken, PARTNER_AS, type TestAgent } from '../../../packages/server/test/token-exchange/fixtures.ts';
import { discoverWithOauth4webapi, startOauth4webapiResourceServer, type Oauth4webapiResourceServer } from '../src/oauth4webapi-resource-server.ts';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const insecure = { execute: [client.allowInsecureRequests] };

let as: TokenServer;
let rs: Oauth4webapiResourceServer;
let agent: TestAgent;
let orchestrator: client.Configuration;
let host: client.Configuration;

beforeAll(async () => {
  // The orchestrator may also hold refresh tokens for what it exchanges (offline_access).
  as = await startExchangeServer({ clients: EXCHANGE_CLIENTS.map((c) => (c.client_id === 'orchestrator' ? { ...c, grant_types: [...(c.grant_types as string[]), 'refresh_token'] } : c)) });
  rs = await startOauth4webapiResourceServer(await discoverWithOauth4webapi(as.issuer));
  agent = await createAgent(as, as.alice);
  await as.ctx.storage.agents.update({ ...agent.record, allowedAudiences: [...agent.record.allowedAudiences, rs.resource] });
  orchestrator = await client.discovery(new URL(as.issuer), 'orchestrator', undefined, client.ClientSecretBasic(EXCHANGE_SECRET.orchestrator), insecure);
  host = await client.discovery(new URL(as.issuer), 'host', undefined, client.ClientSecretBasic(EXCHANGE_SECRET.host), insecure);
});
afterAll(async () => {
  await rs?.close();
  await as?.close();
});

/** A fresh user access token exchanged under the impersonation profile, the agent acting, for the resource server. */
async function impersonate(scope: string) {
  const { token } = await userToken(as);
  return client.genericGrantRequest(orchestrator, TOKEN_EXCHANGE, {
    subject_token: token,
    subject_token_type: TT.accessToken,
    actor_token: await agent.assertion(),
    actor_token_type: TT.jwt,
    resource: rs.resource,
    scope,
  });
}

describe('openid-client genericGrantRequest: RFC 8693 token exchange', () => {
  it('impersonation with an agent actor token; oauth4webapi validates the exchanged token at the resource server', async () => {
    const res = await impersonate('mcp:read');
    expect(res).toMatchObject({ issued_token_type: TT.accessToken, scope: 'mcp:read' });
    expect(res.token_type.toLowerCase()).toBe('bearer');
    expect(decodeProtectedHeader(res.access_token).typ).toBe('at+jwt');
    const seen = await fetch(rs.resource, { headers: { authorization: `Bearer ${res.access_token}` } });
    expect(seen.status).toBe(200);
    expect(await seen.json()).toMatchObject({ sub: as.alice.id, aud: rs.resource, act: { sub: agent.record.id }, scope: 'mcp:read' });
  });

  it('delegation profile: sub = the agent, on_behalf_of = the user', async () => {
    const { token } = await userToken(as, { scope: 'crm:read' });
    const res = await client.genericGrantRequest(orchestrator, TOKEN_EXCHANGE, { subject_token: token, subject_token_type: TT.accessToken, actor_token: await agent.assertion(), actor_token_type: TT.jwt, audience: CRM });
    expect(decodeJwt(res.access_token)).toMatchObject({ sub: agent.record.id, on_behalf_of: as.alice.id, aud: CRM, scope: 'crm:read' });
  });

  it('the agent proves itself with its client credentials token', async () => {
    // Requested without a resource, the actor token's aud is the issuer: an audience the agent must hold (DL-4, RFC 8707 §2).
    const bound = await createAgent(as, as.alice, { clientId: 'plain', allowedAudiences: [rs.resource, as.issuer] });
    const cc = await postForm(as.tokenUrl, { grant_type: 'client_credentials' }, auth.plain);
    const { token } = await userToken(as);
    const res = await client.genericGrantRequest(orchestrator, TOKEN_EXCHANGE, { subject_token: token, subject_token_type: TT.accessToken, actor_token: cc.body.access_token, actor_token_type: TT.accessToken, resource: rs.resource });
    expect(decodeJwt(res.access_token).act).toEqual({ sub: bound.record.id });
  });

  it('DPoP-bound exchange (RFC 9449 §5)', async () => {
    const keyPair = await generateKeyPair('ES256');
    const { token } = await userToken(as);
    const res = await client.genericGrantRequest(
      orchestrator,
      TOKEN_EXCHANGE,
      { subject_token: token, subject_token_type: TT.accessToken, actor_token: await agent.assertion(), actor_token_type: TT.jwt, resource: rs.resource },
      { DPoP: client.getDPoPHandle(orchestrator, keyPair) },
    );
    expect(res.token_type.toLowerCase()).toBe('dpop');
    expect((decodeJwt(res.access_token).cnf as { jkt: string }).jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('an ID-JAG for another authorization server (token_type N_A)', async () => {
    const { idToken } = await userToken(as);
    await as.ctx.storage.consents.create({ id: `cns_${Date.now()}`, userId: as.alice.id, clientId: 'host', scope: 'openid crm:read', resources: [], authorizationDetails: null, createdAt: as.ctx.now(), revokedAt: null });
    const res = await client.genericGrantRequest(host, TOKEN_EXCHANGE, { subject_token: idToken!, subject_token_type: TT.idToken, requested_token_type: TT.idJag, audience: PARTNER_AS, scope: 'crm:read' });
    expect(res).toMatchObject({ issued_token_type: TT.idJag, scope: 'crm:read' });
    expect(res.token_type.toLowerCase()).toBe('n_a');
    expect(decodeProtectedHeader(res.access_token).typ).toBe('oauth-id-jag+jwt');
    expect(decodeJwt(res.access_token)).toMatchObject({ iss: as.issuer, aud: PARTNER_AS, sub: as.alice.id, client_id: 'host-at-partner' });
  });

  it('offline_access: a refresh token, and openid-client refreshTokenGrant keeps the act chain (oauth4webapi validates)', async () => {
    const res = await impersonate('mcp:read offline_access');
    expect(res.scope).toBe('mcp:read');
    expect(typeof res.refresh_token).toBe('string');
    const refreshed = await client.refreshTokenGrant(orchestrator, res.refresh_token!);
    expect(refreshed.refresh_token).not.toBe(res.refresh_token); // rotated
    const seen = await fetch(rs.resource, { headers: { authorization: `Bearer ${refreshed.access_token}` } });
    expect(seen.status).toBe(200);
    expect(await seen.json()).toMatchObject({ sub: as.alice.id, aud: rs.resource, act: { sub: agent.record.id }, scope: 'mcp:read' });
  });

  it('a refusal reaches openid-client as the RFC error', async () => {
    const { token } = await userToken(as, { scope: 'mcp:read' });
    await expect(
      client.genericGrantRequest(orchestrator, TOKEN_EXCHANGE, { subject_token: token, subject_token_type: TT.accessToken, actor_token: await agent.assertion(), actor_token_type: TT.jwt, resource: rs.resource, scope: 'mcp:admin' }),
    ).rejects.toMatchObject({ error: 'invalid_scope' });
  });
});
