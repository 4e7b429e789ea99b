/**
 * ID-JAGs as subject_token (RFC 8693 §2.1, draft-ietf-oauth-identity-assertion-authz-grant §4.3):
 * an ID-JAG of a trusted issuer (config.federation.idJagIssuers), addressed to this server and to
 * the requesting client, verified as the jwt-bearer grant verifies it and used once, buys an
 * access token for the mapped user; scope bound = the ID-JAG's scope ∩ the issuer policy. Our own
 * ID-JAGs are refused (they are addressed to other servers). Every refusal is invalid_request
 * (RFC 8693 §2.2.2; targets invalid_target), audited, and nothing is issued.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessTokenClaims } from '../token/fixtures.ts';
import { b64, issuerKey, signAssertion, type IssuerKey } from '../jwt-bearer/support.ts';
import { auth, exchange, FILES, MCP, ORCHESTRATOR, PARTNER_AS, TT } from './fixtures.ts';
import { expectRefused, ID_JAG_TYP, JAG_ISSUER, OP, PUBLIC_CLIENT, startFederatedExchangeServer, subjectTokenSender, useFederatedExchangeServer, type FederatedExchangeServer } from './federation-fixtures.ts';
import { anyJson, expectAllRefused, hostileTokens, timeAround } from './hostile-subject-tokens.ts';

let f: FederatedExchangeServer;
let stranger: IssuerKey;
useFederatedExchangeServer(async (server) => {
  f = server;
  stranger = await issuerKey('ES256');
});

const send = subjectTokenSender(() => f.server, TT.idJag);

describe('draft-ietf-oauth-identity-assertion-authz-grant §4.3: an ID-JAG as subject_token', () => {
  it('issues an access token for the mapped user; scope = requested ∩ ID-JAG scope ∩ issuer policy; audited', async () => {
    const claims = f.idJagClaims({ acr: 'urn:mandate:acr:mfa', auth_time: f.server.ctx.now() - 30 });
    const res = await send(await signAssertion(f.jagKey, claims, { typ: ID_JAG_TYP }), { scope: 'mcp:read mcp:write' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ issued_token_type: TT.accessToken, scope: 'mcp:read' });
    expect(res.body.refresh_token).toBeUndefined();
    const token = accessTokenClaims(res.body.access_token);
    expect(token).toMatchObject({ iss: f.server.issuer, sub: f.server.alice.id, aud: MCP, client_id: 'orchestrator', auth_time: claims.auth_time });
    expect(token.acr).toBeUndefined(); // the partner's acr, unmapped by the operator, is never ours (federation/acr-mappings.ts)
    expect(token.act).toBeUndefined();
    expect(token.exp).toBeLessThanOrEqual(claims.exp as number);
    const event = (await f.server.ctx.storage.audit.list({ event: 'token_exchanged', limit: 1000 })).find((e) => e.data?.jti === token.jti);
    expect(event).toMatchObject({ userId: f.server.alice.id, clientId: 'orchestrator', grantedScope: 'mcp:read' });
    expect(event!.reason).toContain('mcp:write: not allowed by subject_token');
    expect(event!.data).toMatchObject({ subject_token_type: TT.idJag, issued_token_type: TT.accessToken, principal: f.server.alice.id, parent_grant_id: null });
    expect(event!.data).toMatchObject({ subject_iss: JAG_ISSUER, subject_sub: 'a-user-0001', subject_origin_jti: claims.jti, subject_jti: null });
  });

  it('without a scope parameter: the ID-JAG scope within the policy (mcp:write asserted, not in the policy)', async () => {
    const res = await send(await f.idJag(), {});
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.scope).toBe('files:read mcp:read');
  });

  it('an ID-JAG without scope claim is bounded by the policy alone', async () => {
    const res = await send(await f.idJag({ scope: undefined }), { resource: FILES });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.scope).toBe('files:read mcp:read');
  });

  it('an ID-JAG with a narrower scope narrows the token', async () => {
    const res = await send(await f.idJag({ scope: 'files:read' }), { resource: FILES });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.scope).toBe('files:read');
  });

  it('the jti is remembered in the replay store of the jwt-bearer grant (one use across both grants)', async () => {
    const claims = f.idJagClaims();
    const jag = await signAssertion(f.jagKey, claims, { typ: ID_JAG_TYP });
    expect((await send(jag)).status).toBe(200);
    const used = await f.server.ctx.storage.replay.remember('id_jag', `${JAG_ISSUER}\n${claims.jti as string}`, (claims.exp as number) + 60, f.server.ctx.now());
    expect(used).toBe(false);
  });
});

describe('RFC 8693 §2.2.2: unacceptable ID-JAGs → invalid_request, audited, nothing issued', () => {
  it('replayed (same jti twice)', async () => {
    const jag = await f.idJag();
    expect((await send(jag)).status).toBe(200);
    await expectRefused(f.server, () => send(jag), 'invalid_request', /already been used/, TT.idJag);
  });

  it('our own ID-JAG (addressed to other servers) is not accepted back', async () => {
    const now = f.server.ctx.now();
    const own = await f.server.ctx.keys.sign({ iss: f.server.issuer, sub: f.server.alice.id, aud: f.server.issuer, client_id: 'orchestrator', jti: randomUUID(), iat: now, exp: now + 300, scope: 'mcp:read' }, { typ: ID_JAG_TYP });
    await expectRefused(f.server, () => send(own), 'invalid_request', /ID-JAG of this server/, TT.idJag);
  });

  const refusals: [string, () => Promise<string>, RegExp][] = [
    ['of an untrusted issuer', () => signAssertion(stranger, f.idJagClaims({ iss: 'https://as.evil.example' }), { typ: ID_JAG_TYP }), /not a trusted identity assertion issuer/],
    ['of a trusted OpenID Provider that is not an ID-JAG issuer', () => signAssertion(f.opKey, f.idJagClaims({ iss: OP }), { typ: ID_JAG_TYP }), /not a trusted identity assertion issuer/],
    ['claiming a trusted issuer, signed by another key (foreign)', () => signAssertion({ ...stranger, kid: f.jagKey.kid }, f.idJagClaims(), { typ: ID_JAG_TYP }), /signature/],
    ['addressed to another authorization server (wrong aud)', () => f.idJag({ aud: PARTNER_AS }), /"aud"/],
    ['addressed to our token endpoint instead of our issuer', () => f.idJag({ aud: f.server.tokenUrl }), /"aud"/],
    ['expired', () => f.idJag({ iat: f.server.ctx.now() - 900, exp: f.server.ctx.now() - 120 }), /expired/],
    ['living longer than the issuer policy allows', () => f.idJag({ exp: f.server.ctx.now() + 3600 }), /lives longer/],
    ['without jti', () => f.idJag({ jti: undefined }), /"jti"/],
    ['for another client (client_id claim)', () => f.idJag({ client_id: 'host' }), /client_id/],
    ['of a user unknown here', () => f.idJag({ email: 'nobody@company-a.example' }), /not a user of this server/],
    ['of a user disabled here', () => f.idJag({ email: f.dora.email }), /disabled/],
    ['with typ JWT (an ID token of the issuer)', () => f.idJag({}, { typ: 'JWT' }), /"typ"/],
    ['unsigned (alg none)', async () => `${b64({ alg: 'none', typ: ID_JAG_TYP })}.${b64(f.idJagClaims())}.`, /algorithm/],
    ['not a JWT', async () => 'not.a.jwt', /not a well-formed signed ID-JAG/],
  ];
  for (const [name, make, reason] of refusals) {
    it(`an ID-JAG ${name}`, async () => {
      const token = await make();
      await expectRefused(f.server, () => send(token), 'invalid_request', reason, TT.idJag);
    });
  }

  it('presented by a client the issuer policy does not name', async () => {
    const token = await f.idJag({ client_id: 'host' });
    await expectRefused(f.server, () => send(token, {}, auth.host), 'invalid_request', /may not present ID-JAGs of the issuer/, TT.idJag);
  });

  it('presented by a public client: the client_id binding needs an authenticated client', async () => {
    const token = await f.idJag({ client_id: PUBLIC_CLIENT });
    await expectRefused(f.server, () => send(token, { client_id: PUBLIC_CLIENT }, {}), 'invalid_request', /authenticated \(confidential\) clients only/, TT.idJag);
  });

  it('asking for an ID-JAG in exchange (no relaying of another domain\'s assertion)', async () => {
    const token = await f.idJag();
    await expectRefused(f.server, () => send(token, { requested_token_type: TT.idJag, audience: PARTNER_AS }), 'invalid_request', /ID-JAG is issued only for a subject authenticated by this server/, TT.idJag);
  });

  it('for a target outside the ID-JAG resource → invalid_target', async () => {
    const token = await f.idJag({ resource: MCP });
    await expectRefused(f.server, () => send(token, { resource: FILES }), 'invalid_target', /not one the ID-JAG was issued for/, TT.idJag);
  });

  it('for a target outside the issuer policy → invalid_target', async () => {
    const token = await f.idJag({ resource: undefined });
    await expectRefused(f.server, () => send(token, { resource: ORCHESTRATOR }), 'invalid_target', /not allowed for ID-JAGs presented by this client/, TT.idJag);
  });
});

describe('property: arbitrary id-jag subject tokens never yield a token or a 5xx', () => {
  it('answers 400 with an RFC error and issues nothing', async () => {
    const used = await f.idJag();
    expect((await send(used)).status).toBe(200);
    const now = () => f.server.ctx.now();
    const json = anyJson;
    const time = timeAround(now, 4000);
    const claims = fc.record(
      {
        iss: fc.oneof(fc.constantFrom(JAG_ISSUER, OP, 'SELF', 'https://evil.example'), json),
        sub: fc.oneof(fc.constant('a-user-0001'), json),
        aud: fc.oneof(fc.constantFrom('SELF', PARTNER_AS), json),
        client_id: fc.oneof(fc.constantFrom('orchestrator', 'host'), json),
        email: fc.oneof(fc.constantFrom(f.server.alice.email, f.dora.email), json),
        scope: fc.oneof(fc.constantFrom('mcp:read', 'files:read mcp:read'), json),
        resource: fc.oneof(fc.constantFrom(MCP, FILES), json),
        jti: fc.oneof(fc.uuid(), json),
        iat: time,
        exp: time,
        nbf: time,
      },
      { requiredKeys: [] },
    ).map((c) => ({ ...c, ...(c.iss === 'SELF' ? { iss: f.server.issuer } : {}), ...(c.aud === 'SELF' ? { aud: f.server.issuer } : {}) }));
    const header = fc.record({ alg: fc.oneof(fc.constantFrom('none', 'HS256', 'ES256'), json), typ: fc.oneof(fc.constantFrom(ID_JAG_TYP, 'JWT'), json), kid: fc.oneof(fc.constant('TRUSTED'), json) }, { requiredKeys: [] });
    const tokens = hostileTokens({ header, claims, trusted: f.jagKey, stranger, strangerTyps: [ID_JAG_TYP, 'JWT'], genuine: used, replay: true });
    await expectAllRefused(f.server, tokens, { subject_token_type: TT.idJag, resource: MCP });
  });
});

describe('on PostgreSQL: the replay store and the audit in the issuing transaction', () => {
  let pg: FederatedExchangeServer;
  beforeAll(async () => {
    pg = await startFederatedExchangeServer('postgres');
  });
  afterAll(async () => {
    await pg?.close();
  });

  it('an ID-JAG and an external ID token are exchanged; the ID-JAG only once', async () => {
    const jag = await pg.idJag();
    const first = await exchange(pg.server, { subject_token: jag, subject_token_type: TT.idJag, resource: MCP, scope: 'mcp:read' }, auth.orchestrator);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(accessTokenClaims(first.body.access_token)).toMatchObject({ sub: pg.server.alice.id, scope: 'mcp:read' });
    await expectRefused(pg.server, () => exchange(pg.server, { subject_token: jag, subject_token_type: TT.idJag, resource: MCP }, auth.orchestrator), 'invalid_request', /already been used/, TT.idJag);
    const viaIdToken = await exchange(pg.server, { subject_token: await pg.idToken(), subject_token_type: TT.idToken, resource: MCP, scope: 'mcp:read' }, auth.orchestrator);
    expect(viaIdToken.status, JSON.stringify(viaIdToken.body)).toBe(200);
    const events = await pg.server.ctx.storage.audit.list({ event: 'token_exchanged', limit: 100 });
    expect(events.map((e) => e.data?.subject_token_type)).toEqual([TT.idJag, TT.idToken]);
  });
});
