/**
 * Regressions of the security review of federated subject tokens (token exchange with ID tokens
 * of trusted OpenID Providers and ID-JAGs):
 * - RFC 8725 §2.8: a logout token, a security event token or a JWT access token of a trusted
 *   OpenID Provider — same keys, same `iss`, same `aud`, `typ: JWT` or none — is not an ID token;
 * - OIDC Core §3.1.3.7 (3)–(5): every audience trusted, `azp` required with several, and a JWT
 *   addressed to this authorization server is never an ID token;
 * - user mapping: an email equal to a local user's only after Unicode case mapping (Kelvin sign)
 *   or trimming maps nobody; an email outside the issuer's `emailDomains` maps nobody (a partner's
 *   directory must not assert our users); `sub` must be a string;
 * - a public client redeems only ID tokens issued to the client id it stands for at the issuer;
 * - config: an issuer trusted for workloads and ID tokens with the same audience is refused.
 */
import { describe, expect, it } from 'vitest';
import { accessTokenClaims, type JsonResponse } from '../token/fixtures.ts';
import { signAssertion } from '../jwt-bearer/support.ts';
import { auth, exchange, MCP, TT } from './fixtures.ts';
import { FederationSchema, IdTokenIssuerSchema } from '../../src/federation/schema.ts';
import { checkIdTokenAudience, checkIssuedToClient } from '../../src/grants/token-exchange/subject-id-token-audience.ts';
import type { ClientRecord } from '../../src/storage/records.ts';
import { sameEmail } from '../../src/federation/email-match.ts';
import { expectRefused, OP, OP_CLIENT_ID, OP_NATIVE_CLIENT_ID, PUBLIC_CLIENT, useFederatedExchangeServer, type FederatedExchangeServer } from './federation-fixtures.ts';

let f: FederatedExchangeServer;
useFederatedExchangeServer((server) => {
  f = server;
});

const KELVIN_KATE = '\u212Aate@example.com'; // "Kate" with the Kelvin sign: another mailbox, lowercases to kate@example.com
const BACKCHANNEL_LOGOUT = 'http://schemas.openid.net/event/backchannel-logout';

const sendIdToken = (token: string, form: Record<string, string> = {}): Promise<JsonResponse> =>
  exchange(f.server, { subject_token: token, subject_token_type: TT.idToken, resource: MCP, scope: 'mcp:read', ...form }, auth.orchestrator);
const sendIdJag = (token: string): Promise<JsonResponse> => exchange(f.server, { subject_token: token, subject_token_type: TT.idJag, resource: MCP, scope: 'mcp:read' }, auth.orchestrator);

describe('RFC 8725 §2.8: other JWTs of a trusted OpenID Provider are not ID tokens', () => {
  const logoutClaims = () => f.idTokenClaims({ nonce: undefined, jti: 'logout-1', sid: 'sid-1', events: { [BACKCHANNEL_LOGOUT]: {} } });
  const refusals: [string, () => Promise<string>, RegExp][] = [
    ['a back-channel logout token (typ JWT)', () => signAssertion(f.opKey, logoutClaims(), { typ: 'JWT' }), /logout token/],
    ['a back-channel logout token without typ', () => signAssertion(f.opKey, logoutClaims()), /logout token/],
    ['a JWT access token typed JWT (client_id, scope)', () => f.idToken({ client_id: OP_CLIENT_ID, scope: 'openid email' }), /"client_id" claim marks an access token/],
    ['an access token with scp (Okta, Entra ID)', () => f.idToken({ scp: ['api.read'] }), /"scp"/],
    ['an access token with token_use access (Cognito)', () => f.idToken({ token_use: 'access' }), /"token_use" claim is 'access'/],
    ['an access token with payload typ Bearer (Keycloak)', () => f.idToken({ typ: 'Bearer' }), /"typ" claim is 'Bearer'/],
  ];
  for (const [name, make, reason] of refusals) {
    it(`refuses ${name}`, async () => {
      const token = await make();
      await expectRefused(f.server, () => sendIdToken(token), 'invalid_request', reason, TT.idToken);
    });
  }

  it('our own ID-JAG or access token sent as an ID token is checked as ours, and refused on typ', async () => {
    const now = f.server.ctx.now();
    const claims = { iss: f.server.issuer, sub: f.server.alice.id, aud: 'orchestrator', client_id: 'orchestrator', jti: 'own-1', iat: now, exp: now + 300 };
    for (const typ of ['oauth-id-jag+jwt', 'at+jwt']) {
      const own = await f.server.ctx.keys.sign(claims, { typ });
      await expectRefused(f.server, () => sendIdToken(own), 'invalid_request', /not a valid ID token of this server/, TT.idToken);
    }
  });

  it('accepts the vendor kind claims when they say "ID token" (Keycloak typ ID, Cognito token_use id)', async () => {
    const res = await sendIdToken(await f.idToken({ typ: 'ID', token_use: 'id' }));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });
});

describe('OIDC Core §3.1.3.7 (3)–(5): whom the ID token was issued to', () => {
  it('refuses an untrusted co-audience even with azp = our client id (3)', async () => {
    const token = await f.idToken({ aud: [OP_CLIENT_ID, 'another-rp'], azp: OP_CLIENT_ID });
    await expectRefused(f.server, () => sendIdToken(token), 'invalid_request', /audience that is not one of the accepted client ids/, TT.idToken);
  });

  it('refuses several audiences without azp (4)', async () => {
    const token = await f.idToken({ aud: [OP_CLIENT_ID, OP_NATIVE_CLIENT_ID] });
    await expectRefused(f.server, () => sendIdToken(token), 'invalid_request', /several audiences and no "azp"/, TT.idToken);
  });

  it('a duplicated single audience without azp is one audience', async () => {
    const res = await sendIdToken(await f.idToken({ aud: [OP_CLIENT_ID, OP_CLIENT_ID] }));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });

  it('a JWT addressed to this authorization server is an assertion, never an ID token — whatever `audiences` lists', () => {
    const own = ['https://as.example', 'https://as.example/token'];
    const issuer = IdTokenIssuerSchema.parse({ issuer: OP, jwksUri: 'https://op.example/jwks', audiences: [OP_CLIENT_ID, ...own], subjectClaim: 'sub', clients: [{ clientId: 'orchestrator', scopes: ['mcp:read'] }] });
    expect(() => checkIdTokenAudience(issuer, { aud: own[0] }, own)).toThrow(/addressed to this authorization server/);
    expect(() => checkIdTokenAudience(issuer, { aud: [OP_CLIENT_ID, own[1]!], azp: OP_CLIENT_ID }, own)).toThrow(/addressed to this authorization server/);
    expect(() => checkIdTokenAudience(issuer, { aud: OP_CLIENT_ID }, own)).not.toThrow();
  });
});

describe('the client ids at the issuer a client stands for (policy audiences)', () => {
  it("a public client cannot redeem an ID token issued to our web app's client id", async () => {
    const token = await f.idToken({ aud: OP_CLIENT_ID });
    await expectRefused(f.server, () => exchange(f.server, { subject_token: token, subject_token_type: TT.idToken, resource: MCP, scope: 'mcp:read', client_id: PUBLIC_CLIENT }, {}), 'invalid_request', /issued to another of our client ids/, TT.idToken);
  });

  it('azp decides with several audiences; a public client whose policy lists none is refused', () => {
    const policy = { clientId: 'p', scopes: ['mcp:read'], resources: [], audiences: [OP_NATIVE_CLIENT_ID] };
    const publicClient = { clientId: 'p', tokenEndpointAuthMethod: 'none' } as ClientRecord;
    const confidential = { clientId: 'c', tokenEndpointAuthMethod: 'client_secret_basic' } as ClientRecord;
    expect(() => checkIssuedToClient(policy, publicClient, { aud: [OP_CLIENT_ID, OP_NATIVE_CLIENT_ID], azp: OP_NATIVE_CLIENT_ID })).not.toThrow();
    expect(() => checkIssuedToClient(policy, publicClient, { aud: [OP_CLIENT_ID, OP_NATIVE_CLIENT_ID], azp: OP_CLIENT_ID })).toThrow(/issued to another/);
    expect(() => checkIssuedToClient({ ...policy, audiences: [] }, publicClient, { aud: OP_NATIVE_CLIENT_ID })).toThrow(/public client 'p' .* names none/);
    expect(() => checkIssuedToClient({ ...policy, audiences: [] }, confidential, { aud: OP_CLIENT_ID })).not.toThrow();
  });

  it("config: a client policy's audiences must be the issuer's", () => {
    const entry = { issuer: OP, jwksUri: 'https://op.example/jwks', audiences: [OP_CLIENT_ID], subjectClaim: 'sub' };
    expect(FederationSchema.safeParse({ idTokenIssuers: [{ ...entry, clients: [{ clientId: PUBLIC_CLIENT, scopes: ['mcp:read'], audiences: ['elsewhere'] }] }] }).success).toBe(false);
    expect(FederationSchema.safeParse({ idTokenIssuers: [{ ...entry, clients: [{ clientId: PUBLIC_CLIENT, scopes: ['mcp:read'], audiences: [OP_CLIENT_ID] }] }] }).success).toBe(true);
  });
});

describe('user mapping: exact email up to ASCII case, string sub', () => {
  it('an email that equals a local one only after Unicode case mapping (Kelvin sign) maps nobody — ID token', async () => {
    const token = await f.idToken({ email: KELVIN_KATE });
    await expectRefused(f.server, () => sendIdToken(token), 'invalid_request', /not a user of this server/, TT.idToken);
  });

  it('… nor through an ID-JAG', async () => {
    const token = await f.idJag({ email: KELVIN_KATE });
    await expectRefused(f.server, () => sendIdJag(token), 'invalid_request', /not a user of this server/, TT.idJag);
  });

  it('an email with surrounding whitespace maps nobody', async () => {
    const token = await f.idToken({ email: ` ${f.kate.email}` });
    await expectRefused(f.server, () => sendIdToken(token), 'invalid_request', /not a user of this server/, TT.idToken);
  });

  it('ASCII letter case does not matter (KATE@Example.COM is kate@example.com)', async () => {
    const res = await sendIdToken(await f.idToken({ email: 'KATE@Example.COM' }));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(accessTokenClaims(res.body.access_token).sub).toBe(f.kate.id);
  });

  it('a numeric sub does not match the table entry it prints as', async () => {
    const token = await signAssertion(f.remoteKey, f.remoteIdTokenClaims({ sub: 4711 }));
    await expectRefused(f.server, () => sendIdToken(token), 'invalid_request', /"sub" claim must be a string/, TT.idToken);
  });

  it('an issuer asserting a verified email of a domain it is not trusted for maps nobody — even an existing user', async () => {
    const token = await f.idToken({ email: f.bob.email }); // bob@company-c.example: a local user, not company A's
    await expectRefused(f.server, () => sendIdToken(token), 'invalid_request', /email domain is not one the issuer .* is trusted for/, TT.idToken);
  });

  it('… nor through an ID-JAG of an issuer with emailDomains', async () => {
    const token = await f.idJag({ email: f.bob.email.toUpperCase() });
    await expectRefused(f.server, () => sendIdJag(token), 'invalid_request', /email domain is not one/, TT.idJag);
  });

  it('an email without "@" is no address of a trusted domain', async () => {
    const token = await f.idToken({ email: 'example.com' });
    await expectRefused(f.server, () => sendIdToken(token), 'invalid_request', /email domain is not one/, TT.idToken);
  });

  it('the configured domains match ASCII case-insensitively (Company-A.example)', async () => {
    const token = await f.idToken({ email: 'nobody@company-a.EXAMPLE' });
    await expectRefused(f.server, () => sendIdToken(token), 'invalid_request', /not a user of this server/, TT.idToken); // past the domain check
  });

  it('sameEmail: ASCII case only', () => {
    expect(sameEmail('Kate@Example.com', 'kate@EXAMPLE.COM')).toBe(true);
    expect(sameEmail('kate@example.com', KELVIN_KATE)).toBe(false);
    expect(sameEmail('i@example.com', '\u0130@example.com')).toBe(false);
    expect(sameEmail('kate@example.com', 'kate@example.com ')).toBe(false);
  });
});

describe('config: one issuer trusted for workloads and ID tokens', () => {
  const idTokenIssuer = { issuer: OP, jwksUri: 'https://op.example/jwks', audiences: ['rp-client'], subjectClaim: 'sub', clients: [{ clientId: 'orchestrator', scopes: ['mcp:read'] }] };
  const workload = (audience: string[]) => ({ issuer: OP, jwksUri: 'https://op.example/jwks', audience, rules: [{ claim: 'sub', equals: 'w', clientId: 'orchestrator' }] });
  it('refuses an audience accepted for both (a workload JWT would log in as a user)', () => {
    const parsed = FederationSchema.safeParse({ idTokenIssuers: [idTokenIssuer], workloadIssuers: [workload(['rp-client'])] });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toMatch(/also a workload issuer/);
  });
  it('accepts disjoint audiences, and the default workload audience (this server)', () => {
    expect(FederationSchema.safeParse({ idTokenIssuers: [idTokenIssuer], workloadIssuers: [workload(['https://as.example'])] }).success).toBe(true);
    expect(FederationSchema.safeParse({ idTokenIssuers: [idTokenIssuer], workloadIssuers: [workload([])] }).success).toBe(true);
  });
});
