/**
 * A federated ID token exchanged with openid-client v6 `genericGrantRequest` (RFC 8693): two
 * Mandate instances as two companies. Company A is an OpenID Provider; a user signs in there and
 * A's client `host` receives a standard ID token (OIDC Core §2). Company B trusts A in
 * `federation.idTokenIssuers` (keys from A's jwks_uri through the SSRF-safe fetch, `aud` = the
 * client id at A, users mapped by `sub`), and B's client exchanges the ID token at B's token
 * endpoint for a B access token for the matching local user — no login at B.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { TokenServer } from '../../../packages/server/test/token/fixtures.ts';
import { EXCHANGE_SECRET, MCP, startExchangeServer, TT, userToken } from '../../../packages/server/test/token-exchange/fixtures.ts';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const insecure = { execute: [client.allowInsecureRequests] };

let a: TokenServer; // company A: the OpenID Provider where the user signs in
let b: TokenServer; // company B: trusts A's ID tokens
let orchestratorAtB: client.Configuration;
let aliceAtB: string; // her guest account at B, mapped from her `sub` at A

beforeAll(async () => {
  a = await startExchangeServer();
  const aHost = new URL(a.issuer).host;
  b = await startExchangeServer({
    federation: {
      devAllowedHosts: [aHost],
      idTokenIssuers: [
        {
          issuer: a.issuer,
          jwksUri: `${a.issuer}/jwks.json`,
          algorithms: ['ES256', 'EdDSA', 'RS256'],
          audiences: ['host'],
          subjectClaim: 'sub',
          users: { [a.alice.id]: 'usr_alice_at_b' },
          clients: [{ clientId: 'orchestrator', scopes: ['mcp:read'], resources: [MCP] }],
        },
      ],
    },
  });
  const t = b.ctx.now();
  await b.ctx.storage.users.create({ id: 'usr_alice_at_b', email: 'alice.guest@company-b.example', name: 'Alice at B', passwordHash: null, totpSecretEncrypted: null, isAdmin: false, disabled: false, createdAt: t, updatedAt: t });
  aliceAtB = 'usr_alice_at_b';
  orchestratorAtB = await client.discovery(new URL(b.issuer), 'orchestrator', undefined, client.ClientSecretBasic(EXCHANGE_SECRET.orchestrator), insecure);
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

describe('openid-client genericGrantRequest: an external ID token as subject_token', () => {
  it('company B issues its access token for the mapped user; scope bounded by the trust policy', async () => {
    const { idToken } = await userToken(a); // a real authorization code grant at A, ID token for `host`
    const res = await client.genericGrantRequest(orchestratorAtB, TOKEN_EXCHANGE, { subject_token: idToken!, subject_token_type: TT.idToken, resource: MCP, scope: 'mcp:read mcp:write' });
    expect(res).toMatchObject({ issued_token_type: TT.accessToken, scope: 'mcp:read' });
    expect(res.token_type.toLowerCase()).toBe('bearer');
    const { payload } = await jwtVerify(res.access_token, createLocalJWKSet(await b.ctx.keys.jwks()), { issuer: b.issuer, audience: MCP, typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: aliceAtB, client_id: 'orchestrator', scope: 'mcp:read' });
  });

  it('an access token of A sent as an ID token is refused with the RFC error', async () => {
    const { token } = await userToken(a); // an access token of A, not an ID token
    await expect(client.genericGrantRequest(orchestratorAtB, TOKEN_EXCHANGE, { subject_token: token, subject_token_type: TT.idToken, resource: MCP })).rejects.toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/not an ID token/) });
  });
});
