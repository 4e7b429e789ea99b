/**
 * DL-3 across trust domains: two Mandate instances act as two companies. A user of company A
 * signs in at A (the real login, TOTP and consent pages, driven headlessly) to A's sales agent;
 * the agent exchanges the user's ID token at A (RFC 8693, openid-client genericGrantRequest) for an
 * Identity Assertion JWT Authorization Grant (draft-ietf-oauth-identity-assertion-authz-grant)
 * addressed to company B's authorization server; B, which trusts A as an ID-JAG issuer (A's
 * jwks_uri), accepts it at the jwt-bearer grant (RFC 7523 §2.1) and issues a narrowly scoped
 * token for B's API — no second login. B's API is a small loopback HTTP service validating the
 * token with jose (issuer B, exact aud).
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { authorizeHeadlessly } from '../src/browserless-login.ts';
import { serviceClientKeys, type ServiceClientKeys } from '../src/clients.ts';
import { createUser, startAuthorizationServer, type TestServer, type TestUser } from '../src/server.ts';
import { randomId } from '../../../packages/server/src/crypto/hash.ts';
import { clientRecord } from '../../../packages/server/test/helpers/client-record.ts';
import { closeServer } from '../src/close-server.ts';
import { CookieJar } from '../src/cookie-jar.ts';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
const ID_JAG_TYPE = 'urn:ietf:params:oauth:token-type:id-jag';
const AGENT_SECRET = 'a-sales-agent-secret-0123456789-abcdefghijk';
const REDIRECT = 'http://127.0.0.1/callback';
const insecure = { execute: [client.allowInsecureRequests] };

let a: TestServer; // company A: the user's home domain, ID-JAG issuer
let b: TestServer; // company B: the resource domain, trusts A
let api: Server; // company B's API
let apiUrl = '';
let partnerKeys: ServiceClientKeys;
let alice: TestUser; // a user of company A
let bAlice: string; // her account at company B (a guest account with the same email)
let agentA: client.Configuration; // A's sales agent, as a client of A
let partnerB: client.Configuration; // the same agent, as a client of B (private_key_jwt: no shared secret)

/** B's API: validates the bearer token with jose against B's JWKS, issuer B, aud exactly this API. */
async function startApi(): Promise<void> {
  api = createServer((req, res) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const jwks = createRemoteJWKSet(new URL(`${b.issuer}/jwks.json`));
    jwtVerify(token ?? '', jwks, { issuer: b.issuer, audience: apiUrl, typ: 'at+jwt', algorithms: ['ES256'] })
      .then(({ payload }) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ accounts: ['Acme Corp'], sub: payload.sub, scope: payload.scope, client_id: payload.client_id }));
      })
      .catch((err: Error) => {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'invalid_token', reason: err.message }));
      });
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  const address = api.address();
  apiUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/crm`;
}

beforeAll(async () => {
  partnerKeys = await serviceClientKeys('partner-a-agent-key');
  await startApi();
  a = await startAuthorizationServer({
    scopesSupported: ['openid', 'profile', 'email'],
    clients: [
      {
        client_id: 'a-sales-agent',
        client_secret: AGENT_SECRET,
        client_name: 'Sales Agent',
        token_endpoint_auth_method: 'client_secret_basic',
        application_type: 'native',
        grant_types: ['authorization_code', TOKEN_EXCHANGE],
        redirect_uris: [REDIRECT],
        scope: 'openid profile',
      },
    ],
  });
  const aHost = new URL(a.issuer).host;
  b = await startAuthorizationServer({
    scopesSupported: ['crm:read', 'crm:write', 'crm:admin'],
    resources: [apiUrl],
    clients: [
      {
        client_id: 'partner-a-agent',
        client_name: 'Company A sales agent',
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        grant_types: [JWT_BEARER],
        jwks: { keys: [partnerKeys.publicJwk] },
      },
    ],
    federation: {
      devAllowedHosts: [aHost],
      idJagIssuers: [{ issuer: a.issuer, jwksUri: `${a.issuer}/jwks.json`, algorithms: ['ES256'], subjectClaim: 'email', emailDomains: ['interop.example'], clients: [{ clientId: 'partner-a-agent', scopes: ['crm:read'], resources: [apiUrl] }] }],
    },
  });
  // A's trust list names B, whose issuer exists only once B listens: the operator of A adds it.
  a.server.ctx.config.tokenExchange.idJagAudiences.push({ issuer: b.issuer, scopes: ['crm:read', 'crm:write'], clientIds: { 'a-sales-agent': 'partner-a-agent' }, clients: ['a-sales-agent'] });

  // Company A: the user, and the sales agent (bound to its client) that may reach B.
  alice = await createUser(a.server.ctx, 'Alice of Company A');
  const now = a.server.ctx.now();
  const owner = await createUser(a.server.ctx, 'Agent owner at A');
  await a.server.ctx.storage.agents.create({
    id: randomId('agt'),
    name: 'Sales agent',
    description: 'Works the CRM of partner companies',
    ownerUserId: owner.id,
    allowedScopes: ['crm:read', 'crm:write'],
    allowedAudiences: [b.issuer],
    allowedTools: [],
    maxDelegationDepth: 2,
    status: 'active',
    suspendedBy: null,
    attestation: null,
    jwks: null,
    clientId: 'a-sales-agent',
    createdAt: now,
    updatedAt: now,
  });
  // Company B knows Alice as a guest user with the same email (no just-in-time provisioning).
  bAlice = randomId('usr');
  const t = b.server.ctx.now();
  await b.server.ctx.storage.users.create({ id: bAlice, email: alice.email, name: 'Alice (guest from A)', passwordHash: null, totpSecretEncrypted: null, isAdmin: false, disabled: false, createdAt: t, updatedAt: t });

  agentA = await client.discovery(new URL(a.issuer), 'a-sales-agent', AGENT_SECRET, client.ClientSecretBasic(AGENT_SECRET), insecure);
  partnerB = await client.discovery(new URL(b.issuer), 'partner-a-agent', undefined, client.PrivateKeyJwt(partnerKeys.privateKey), insecure);
});

afterAll(async () => {
  await b?.close();
  await a?.close();
  if (api) await closeServer(api);
});

/** Alice's browser at A: she signs in once (password, TOTP); later authorizations reuse her session. */
const browser = new CookieJar();

/** Alice authorizes the sales agent at A (login and consent pages); returns her tokens at A. */
async function aliceTokensAtA(): Promise<{ accessToken: string; idToken: string }> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(agentA, { redirect_uri: REDIRECT, scope: 'openid profile', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state });
  const { callback } = await authorizeHeadlessly(url, alice, { jar: browser });
  const tokens = await client.authorizationCodeGrant(agentA, callback, { pkceCodeVerifier: verifier, expectedState: state });
  if (tokens.id_token === undefined) throw new Error('no ID token from A (scope openid)');
  return { accessToken: tokens.access_token, idToken: tokens.id_token };
}

/** The draft §4.3 at A: the user's ID token (issued to the agent's client) for an ID-JAG addressed to B. */
async function idJagFromA(scope: string): Promise<client.TokenEndpointResponse> {
  const { idToken } = await aliceTokensAtA();
  return client.genericGrantRequest(agentA, TOKEN_EXCHANGE, {
    subject_token: idToken,
    subject_token_type: ID_TOKEN_TYPE,
    requested_token_type: ID_JAG_TYPE,
    audience: b.issuer,
    resource: apiUrl,
    scope,
  });
}

describe('draft-ietf-oauth-identity-assertion-authz-grant: company A user, company B API, no second login (DL-3)', () => {
  let idJag = '';

  it('A issues an ID-JAG for B through token exchange (RFC 8693 §2.2.1, issued_token_type id-jag)', async () => {
    const exchanged = await idJagFromA('crm:read');
    expect(exchanged.issued_token_type).toBe(ID_JAG_TYPE);
    expect(exchanged.token_type.toLowerCase()).toBe('n_a');
    idJag = exchanged.access_token;
    expect(decodeProtectedHeader(idJag).typ).toBe('oauth-id-jag+jwt');
    expect(decodeJwt(idJag)).toMatchObject({ iss: a.issuer, sub: alice.id, aud: b.issuer, client_id: 'partner-a-agent', scope: 'crm:read', resource: apiUrl, email: alice.email });
  });

  it('B accepts the ID-JAG at the jwt-bearer grant and the token works at B\'s API (jose, exact aud)', async () => {
    const tokens = await client.genericGrantRequest(partnerB, JWT_BEARER, { assertion: idJag });
    expect(tokens.scope).toBe('crm:read');
    expect(tokens.refresh_token).toBeUndefined();
    expect(decodeJwt(tokens.access_token)).toMatchObject({ iss: b.issuer, sub: bAlice, aud: apiUrl, client_id: 'partner-a-agent' });
    const res = await fetch(apiUrl, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ accounts: ['Acme Corp'], sub: bAlice, scope: 'crm:read', client_id: 'partner-a-agent' });
    // B's audit records where the user came from: A's issuer, her subject there, and A's actor chain (the agent).
    expect(decodeJwt(idJag).act).toMatchObject({ sub: expect.stringMatching(/^agt_/) });
    const [event] = (await b.server.ctx.storage.audit.list({ clientId: 'partner-a-agent', event: 'token_issued', limit: 10 })).slice(-1);
    expect(event?.userId).toBe(bAlice);
    expect(event?.data).toMatchObject({ assertion_profile: 'id-jag', assertion_iss: a.issuer, assertion_sub: alice.id, assertion_act: decodeJwt(idJag).act });
  });

  it('B refuses the same ID-JAG a second time (jti replay → invalid_grant)', async () => {
    await expect(client.genericGrantRequest(partnerB, JWT_BEARER, { assertion: idJag })).rejects.toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/already been used/) });
  });

  it('B narrows to its policy: an ID-JAG carrying crm:write yields only crm:read', async () => {
    const exchanged = await idJagFromA('crm:read crm:write');
    expect(decodeJwt(exchanged.access_token).scope).toBe('crm:read crm:write');
    const tokens = await client.genericGrantRequest(partnerB, JWT_BEARER, { assertion: exchanged.access_token });
    expect(tokens.scope).toBe('crm:read');
  });

  it('B\'s API refuses A\'s own access token (another issuer and audience)', async () => {
    const res = await fetch(apiUrl, { headers: { authorization: `Bearer ${(await aliceTokensAtA()).accessToken}` } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_token' });
  });

  it('B refuses an ID-JAG from an issuer it does not trust (company C), even with the right claims', async () => {
    const c = await startAuthorizationServer({});
    try {
      const now = c.server.ctx.now();
      const forged = await c.server.ctx.keys.sign({ iss: c.issuer, sub: 'usr_c', email: alice.email, aud: b.issuer, client_id: 'partner-a-agent', jti: randomId('jti'), iat: now, exp: now + 120, scope: 'crm:read' }, { typ: 'oauth-id-jag+jwt' });
      await expect(client.genericGrantRequest(partnerB, JWT_BEARER, { assertion: forged })).rejects.toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/not a trusted identity assertion issuer/) });
      // And an ID-JAG claiming A as issuer but signed with C's key fails A's JWKS.
      const spoofed = await c.server.ctx.keys.sign({ iss: a.issuer, sub: alice.id, email: alice.email, aud: b.issuer, client_id: 'partner-a-agent', jti: randomId('jti'), iat: now, exp: now + 120 }, { typ: 'oauth-id-jag+jwt' });
      await expect(client.genericGrantRequest(partnerB, JWT_BEARER, { assertion: spoofed })).rejects.toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/key|signature/) });
    } finally {
      await c.close();
    }
  });

  it('an ID-JAG A issued for B cannot be replayed by another client at B', async () => {
    const exchanged = await idJagFromA('crm:read');
    // Sign a request as a different client of B: the ID-JAG's client_id names partner-a-agent only.
    const otherKeys = await serviceClientKeys('other-key');
    await b.server.ctx.storage.clients.create(
      clientRecord(
        { clientId: 'intruder', clientName: 'intruder', grantTypes: [JWT_BEARER], responseTypes: [], tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [otherKeys.publicJwk as Record<string, unknown>] } },
        b.server.ctx.now(),
      ),
    );
    const intruder = await client.discovery(new URL(b.issuer), 'intruder', undefined, client.PrivateKeyJwt(otherKeys.privateKey), insecure);
    await expect(client.genericGrantRequest(intruder, JWT_BEARER, { assertion: exchanged.access_token })).rejects.toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/client_id/) });
  });
});

