/**
 * ID tokens of trusted external OpenID Providers as subject_token (RFC 8693 §2.1, OIDC Core
 * §3.1.3.7, config.federation.idTokenIssuers): a verified ID token of a trusted issuer, addressed
 * to our client id there, buys an access token for the mapped local user, bounded by the issuer
 * policy for the requesting client. Every refusal is invalid_request (RFC 8693 §2.2.2) with a
 * clear reason (targets: invalid_target), audited, and nothing is issued.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accessTokenClaims } from '../token/fixtures.ts';
import { b64, issuerKey, signAssertion, type IssuerKey } from '../jwt-bearer/support.ts';
import { auth, createAgent, CRM, exchange, FILES, MCP, PARTNER_AS, TT } from './fixtures.ts';
import { FederationSchema } from '../../src/federation/schema.ts';
import { expectRefused, OP, OP_CLIENT_ID, OP_NATIVE_CLIENT_ID, OP_REMOTE, PUBLIC_CLIENT, subjectTokenSender, useFederatedExchangeServer, type FederatedExchangeServer } from './federation-fixtures.ts';
import { anyJson, expectAllRefused, hostileTokens, timeAround } from './hostile-subject-tokens.ts';

let f: FederatedExchangeServer;
let stranger: IssuerKey;
useFederatedExchangeServer(async (server) => {
  f = server;
  stranger = await issuerKey('ES256');
});

const send = subjectTokenSender(() => f.server, TT.idToken);

describe('OIDC Core §3.1.3.7: an ID token of a trusted OpenID Provider as subject_token', () => {
  it('issues an access token for the user mapped by verified email; scope = requested ∩ the issuer policy for the client', async () => {
    const idToken = await f.idToken();
    const res = await send(idToken, { scope: 'mcp:read mcp:write' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ issued_token_type: TT.accessToken, scope: 'mcp:read' });
    expect(res.body.refresh_token).toBeUndefined();
    const claims = accessTokenClaims(res.body.access_token);
    expect(claims).toMatchObject({ iss: f.server.issuer, sub: f.server.alice.id, aud: MCP, client_id: 'orchestrator', scope: 'mcp:read' });
    expect(claims.act).toBeUndefined(); // the chain starts empty: nobody acts yet
    expect(claims.exp).toBeLessThanOrEqual(f.idTokenClaims().exp as number); // never outlives its subject
    const event = (await f.server.ctx.storage.audit.list({ event: 'token_exchanged', limit: 1000 })).find((e) => e.data?.jti === claims.jti);
    expect(event).toMatchObject({ userId: f.server.alice.id, clientId: 'orchestrator', grantedScope: 'mcp:read', requestedScope: 'mcp:read mcp:write' });
    expect(event!.reason).toContain('mcp:write: not allowed by subject_token');
    expect(event!.data).toMatchObject({ subject_token_type: TT.idToken, issued_token_type: TT.accessToken, subject_jti: null, parent_grant_id: null, principal: f.server.alice.id });
    // AU-2: the custody walk ends here, so the event names who vouched for the subject.
    expect(event!.data).toMatchObject({ subject_iss: OP, subject_sub: 'a-user-0001', subject_origin_jti: null });
  });

  it("the provider's acr is never copied: without the operator's acrMappings the token carries no acr (federation/acr-mappings.ts)", async () => {
    for (const acr of ['urn:mandate:acr:phr', 'urn:mandate:acr:mfa', 'constructor']) {
      const res = await send(await f.idToken({ acr }), { scope: 'mcp:read' });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(accessTokenClaims(res.body.access_token).acr).toBeUndefined();
    }
  });

  it('without a scope parameter: everything the policy allows within the other bounds', async () => {
    const res = await send(await f.idToken(), {}, auth.orchestrator);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.scope).toBe('files:read mcp:read');
  });

  it('an agent acting for the federated user starts the act chain', async () => {
    const agent = await createAgent(f.server, f.server.alice);
    const res = await send(await f.idToken(), { actor_token: await agent.assertion(), actor_token_type: TT.jwt, scope: 'mcp:read' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(accessTokenClaims(res.body.access_token)).toMatchObject({ sub: f.server.alice.id, act: { sub: agent.record.id } });
  });

  it('keys from a jwks_uri (SSRF-safe fetch), user mapped by `sub` through the issuer table', async () => {
    const res = await send(await signAssertion(f.remoteKey, f.remoteIdTokenClaims()), { scope: 'mcp:read' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(accessTokenClaims(res.body.access_token).sub).toBe(f.bob.id);
    expect(f.jwksFetches()).toBeGreaterThan(0);
  });

  it('the same ID token may be exchanged again while it lives (it is not single use)', async () => {
    const idToken = await f.idToken();
    expect((await send(idToken, { scope: 'mcp:read' })).status).toBe(200);
    expect((await send(idToken, { scope: 'mcp:read' })).status).toBe(200);
  });

  it('several audiences, all ours, with azp = our client id at the issuer are accepted (§3.1.3.7 (3)–(5))', async () => {
    const res = await send(await f.idToken({ aud: [OP_CLIENT_ID, OP_NATIVE_CLIENT_ID], azp: OP_NATIVE_CLIENT_ID }), { scope: 'mcp:read' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });
});

describe('RFC 8693 §2.2.2: unacceptable ID tokens → invalid_request, audited, nothing issued', () => {
  const refusals: [string, () => Promise<string>, RegExp][] = [
    ['of an untrusted issuer', () => signAssertion(stranger, f.idTokenClaims({ iss: 'https://login.evil.example' })), /not a trusted ID token issuer/],
    ['claiming a trusted issuer, signed by another key (foreign)', () => signAssertion({ ...stranger, kid: f.opKey.kid }, f.idTokenClaims()), /signature/],
    ['addressed to another client at the issuer (wrong aud)', () => f.idToken({ aud: 'someone-else' }), /"aud"/],
    ['with azp naming another party', () => f.idToken({ aud: [OP_CLIENT_ID, OP_NATIVE_CLIENT_ID], azp: 'another-rp' }), /azp/],
    ['expired', () => f.idToken({ iat: f.server.ctx.now() - 900, exp: f.server.ctx.now() - 120 }), /expired/],
    ['living longer than the issuer policy allows', () => f.idToken({ exp: f.server.ctx.now() + 7200 }), /lives longer/],
    ['without iat', () => f.idToken({ iat: undefined }), /"iat"/],
    ['with an unverified email (email_verified false)', () => f.idToken({ email_verified: false }), /email is not verified/],
    ['with email_verified as a string', () => f.idToken({ email_verified: 'true' }), /email is not verified/],
    ['of a user unknown here', () => f.idToken({ email: 'nobody@company-a.example' }), /not a user of this server/],
    ['of a user disabled here', () => f.idToken({ email: f.dora.email }), /disabled/],
    ['whose sub is not in the issuer table', () => signAssertion(f.remoteKey, f.remoteIdTokenClaims({ sub: 'c-user-unknown' })), /not a user of this server/],
    ['signed with an algorithm the issuer does not use', async () => signAssertion({ ...(await issuerKey('RS256')), kid: f.opKey.kid }, f.idTokenClaims()), /algorithm/],
    ['unsigned (alg none)', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(f.idTokenClaims())}.`, /algorithm/],
    ['of another kind (typ at+jwt)', () => f.idToken({}, { typ: 'at+jwt' }), /not an ID token/],
    ['an ID-JAG sent as an ID token', () => f.idJag(), /not a trusted ID token issuer/],
    ['not a JWT', async () => 'not-a-jwt', /not a valid ID token of this server/],
  ];
  for (const [name, make, reason] of refusals) {
    it(`an ID token ${name}`, async () => {
      const token = await make();
      await expectRefused(f.server, () => send(token, { scope: 'mcp:read' }), 'invalid_request', reason, TT.idToken);
    });
  }

  it('presented by a client the issuer policy does not name', async () => {
    const token = await f.idToken();
    await expectRefused(f.server, () => send(token, {}, auth.mcp), 'invalid_request', /may not exchange ID tokens of the issuer/, TT.idToken);
  });

  it('asking for an ID-JAG: a federated login is not re-asserted to a third domain', async () => {
    const token = await f.idToken();
    await expectRefused(f.server, () => send(token, { requested_token_type: TT.idJag, audience: PARTNER_AS }, auth.orchestrator), 'invalid_request', /ID-JAG is issued only for a subject authenticated by this server/, TT.idToken);
  });

  it('for a target outside the issuer policy → invalid_target', async () => {
    const token = await f.idToken();
    await expectRefused(f.server, () => send(token, { resource: CRM }), 'invalid_target', /not allowed for tokens exchanged from this issuer/, TT.idToken);
  });

  it('a public client named by the policy may exchange one issued to the client id it stands for at the issuer', async () => {
    const res = await send(await f.idToken({ aud: OP_NATIVE_CLIENT_ID }), { client_id: PUBLIC_CLIENT, scope: 'mcp:read' }, {});
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(accessTokenClaims(res.body.access_token)).toMatchObject({ sub: f.server.alice.id, client_id: PUBLIC_CLIENT });
  });
});

describe('property: arbitrary id_token subject tokens never yield a token or a 5xx', () => {
  it('answers 400 with an RFC error and issues nothing', async () => {
    const genuine = await f.idToken();
    const now = () => f.server.ctx.now();
    const json = anyJson;
    const time = timeAround(now, 8000);
    const claims = fc.record(
      {
        iss: fc.oneof(fc.constantFrom(OP, OP_REMOTE, 'SELF', 'https://evil.example'), json),
        sub: fc.oneof(fc.constantFrom('a-user-0001', 'c-user-4711'), json),
        aud: fc.oneof(fc.constantFrom(OP_CLIENT_ID, 'orchestrator', 'other'), json),
        azp: fc.oneof(fc.constantFrom(OP_CLIENT_ID, 'other'), json),
        email: fc.oneof(fc.constantFrom(f.server.alice.email, f.dora.email), json),
        email_verified: fc.oneof(fc.constant(true), json),
        iat: time,
        exp: time,
        nbf: time,
      },
      { requiredKeys: [] },
    ).map((c) => (c.iss === 'SELF' ? { ...c, iss: f.server.issuer } : c));
    const header = fc.record({ alg: fc.oneof(fc.constantFrom('none', 'HS256', 'ES256', 'RS256'), json), typ: fc.oneof(fc.constantFrom('JWT', 'at+jwt', 'oauth-id-jag+jwt'), json), kid: fc.oneof(fc.constant('TRUSTED'), json) }, { requiredKeys: [] });
    const tokens = hostileTokens({ header, claims, trusted: f.opKey, stranger, strangerTyps: ['JWT', 'at+jwt'], genuine });
    await expectAllRefused(f.server, tokens, { subject_token_type: TT.idToken, resource: FILES });
  });
});

describe('config: federation.idTokenIssuers', () => {
  const entry = { issuer: OP, jwksUri: 'https://login.company-a.example/jwks', audiences: [OP_CLIENT_ID], emailDomains: ['company-a.example'], clients: [{ clientId: 'orchestrator', scopes: ['mcp:read'] }] };
  it('defaults: users mapped by verified email, ID tokens live at most an hour, asymmetric algorithms', () => {
    const parsed = FederationSchema.parse({ idTokenIssuers: [entry] });
    expect(parsed.idTokenIssuers[0]).toMatchObject({ subjectClaim: 'email', users: {}, maxLifetime: 3600, algorithms: ['ES256', 'RS256', 'EdDSA'] });
  });
  it('email mapping needs the domains the issuer is authoritative for; sub mapping does not', () => {
    const parsed = FederationSchema.safeParse({ idTokenIssuers: [{ ...entry, emailDomains: undefined }] });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toMatch(/emailDomains/);
    expect(FederationSchema.safeParse({ idTokenIssuers: [{ ...entry, emailDomains: undefined, subjectClaim: 'sub' }] }).success).toBe(true);
  });
  it('refuses an entry without audiences, without client policy, with both or neither key source, or with HS256', () => {
    expect(FederationSchema.safeParse({ idTokenIssuers: [{ ...entry, audiences: [] }] }).success).toBe(false);
    expect(FederationSchema.safeParse({ idTokenIssuers: [{ ...entry, clients: [] }] }).success).toBe(false);
    expect(FederationSchema.safeParse({ idTokenIssuers: [{ ...entry, jwks: { keys: [{ kty: 'EC' }] } }] }).success).toBe(false);
    expect(FederationSchema.safeParse({ idTokenIssuers: [{ ...entry, jwksUri: undefined }] }).success).toBe(false);
    expect(FederationSchema.safeParse({ idTokenIssuers: [{ ...entry, algorithms: ['HS256'] }] }).success).toBe(false);
  });
});
