/**
 * Accepting Identity Assertion JWT Authorization Grants (DL-3,
 * draft-ietf-oauth-identity-assertion-authz-grant §4.3) from a trusted issuer: the asserted user
 * is found by the issuer's mapping policy, the scope narrowed by the ID-JAG and the policy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { AGENT_RESOURCE, CI_SUB, IDP_ISSUER, PARTNER_SECRET, issuedCount, signAssertion, startFederationServer, type FederationServer } from './support.ts';
import { createUser, postForm } from '../token/fixtures.ts';

const TYP = { typ: 'oauth-id-jag+jwt' };
const PARTNER: [string, string] = ['partner-app', PARTNER_SECRET];

let f: FederationServer;
beforeAll(async () => {
  f = await startFederationServer();
});
afterAll(async () => {
  await f.close();
});

describe('draft-ietf-oauth-identity-assertion-authz-grant §4.3 ID-JAG processing', () => {
  it('issues an access token for the mapped user, audience = the asserted resource, scope = ID-JAG ∩ policy, no refresh token', async () => {
    // A partner's acr is not one of our classes: unmapped (here: no acrMappings at all), it is dropped.
    const claims = f.idJagClaims({ auth_time: f.now() - 30, acr: 'urn:mandate:acr:mfa' });
    const res = await f.token({ assertion: await signAssertion(f.idpKey, claims, TYP) }, PARTNER);
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('mcp:read'); // mcp:write is asserted but not in the issuer policy
    expect(res.body.refresh_token).toBeUndefined();
    const token = await f.verify(res.body.access_token);
    expect(token.sub).toBe(f.srv.alice.id);
    expect(token.client_id).toBe('partner-app');
    expect(token.aud).toBe(AGENT_RESOURCE);
    expect(token.auth_time).toBe(claims.auth_time);
    expect(token.acr).toBeUndefined();
    const events = await f.srv.ctx.storage.audit.list({ clientId: 'partner-app', event: 'token_issued', limit: 10 });
    expect(events.at(-1)?.data).toMatchObject({ assertion_profile: 'id-jag', assertion_iss: IDP_ISSUER, assertion_jti: claims.jti });
    expect(events.at(-1)?.userId).toBe(f.srv.alice.id);
  });

  it('lets the token request narrow the scope further, never widen it', async () => {
    const widened = await f.token({ assertion: await signAssertion(f.idpKey, f.idJagClaims({ scope: 'mcp:read' }), TYP), scope: 'profile' }, PARTNER);
    expect(widened.status).toBe(400);
    expect(widened.body.error).toBe('invalid_scope');
    const narrowed = await f.token({ assertion: await signAssertion(f.idpKey, f.idJagClaims({ scope: 'mcp:read profile' }), TYP), scope: 'profile' }, PARTNER);
    expect(narrowed.status).toBe(200);
    expect(narrowed.body.scope).toBe('profile');
  });

  it('refuses a resource the ID-JAG was not issued for (invalid_target)', async () => {
    const res = await f.token({ assertion: await signAssertion(f.idpKey, f.idJagClaims(), TYP), resource: 'https://files.example/api' }, PARTNER);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_target');
  });

  const refusals: [string, (f: FederationServer) => Promise<string>, RegExp][] = [
    ['replayed (same jti twice)', async () => 'replay', /already been used/],
    ['typ other than oauth-id-jag+jwt from an ID-JAG issuer', (f) => signAssertion(f.idpKey, f.idJagClaims(), { typ: 'JWT' }), /typ "oauth-id-jag\+jwt"/],
    ['aud = the token endpoint instead of the issuer', (f) => signAssertion(f.idpKey, f.idJagClaims({ aud: f.srv.tokenUrl }), TYP), /"aud"/],
    ['aud = another authorization server', (f) => signAssertion(f.idpKey, f.idJagClaims({ aud: 'https://as.company-c.example' }), TYP), /"aud"/],
    ['aud = our issuer and another authorization server (draft §3: aud is this AS alone)', (f) => signAssertion(f.idpKey, f.idJagClaims({ aud: [f.srv.issuer, 'https://as.other.example'] }), TYP), /"aud"/],
    ['for a local administrator (no administrator on another issuer\'s assertion)', async (f) => {
      const admin = await createUser(f.srv.ctx, 'root@company-a.example', 'Root Admin');
      await f.srv.ctx.storage.users.update({ ...admin, isAdmin: true, updatedAt: f.now() });
      return signAssertion(f.idpKey, f.idJagClaims({ email: admin.email }), TYP);
    }, /administrator/],
    ['client_id of another client', (f) => signAssertion(f.idpKey, f.idJagClaims({ client_id: 'ci-deployer' }), TYP), /client_id/],
    ['no client_id claim', (f) => signAssertion(f.idpKey, f.idJagClaims({ client_id: undefined }), TYP), /client_id/],
    ['no iat claim', (f) => signAssertion(f.idpKey, f.idJagClaims({ iat: undefined }), TYP), /"iat"/],
    ['an issuer that is not trusted for ID-JAGs', async (f) => signAssertion(f.ciKey, f.idJagClaims({ iss: 'https://token.actions.example' }), TYP), /not a trusted identity assertion issuer/],
    ['signed with a key not in the issuer JWKS', (f) => signAssertion({ ...f.ciKey, kid: f.idpKey.kid }, f.idJagClaims(), TYP), /signature/],
    ['expired', (f) => signAssertion(f.idpKey, f.idJagClaims({ iat: f.now() - 900, exp: f.now() - 120 }), TYP), /expired/],
    ['living longer than the issuer policy allows', (f) => signAssertion(f.idpKey, f.idJagClaims({ exp: f.now() + 3600 }), TYP), /lives longer/],
    ['a user unknown here', (f) => signAssertion(f.idpKey, f.idJagClaims({ email: 'nobody@company-a.example' }), TYP), /not a user of this server/],
    ['no email claim (the issuer maps users by email)', (f) => signAssertion(f.idpKey, f.idJagClaims({ email: undefined }), TYP), /"email"/],
  ];

  for (const [name, make, reason] of refusals) {
    it(`refuses an ID-JAG that is ${name}: invalid_grant, nothing issued`, async () => {
      let assertion: string;
      if (name.startsWith('replayed')) {
        assertion = await signAssertion(f.idpKey, f.idJagClaims(), TYP);
        expect((await f.token({ assertion }, PARTNER)).status).toBe(200);
      } else {
        assertion = await make(f);
      }
      const before = await issuedCount(f);
      const res = await f.token({ assertion }, PARTNER);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
      expect(res.body.error_description).toMatch(reason);
      expect(res.body.access_token).toBeUndefined();
      expect(await issuedCount(f)).toBe(before);
    });
  }

  it('refuses an ID-JAG presented by a public client: the client_id binding needs client authentication (unauthorized_client)', async () => {
    const assertion = await signAssertion(f.idpKey, f.idJagClaims({ client_id: 'ci-deployer' }), TYP);
    const res = await f.token({ client_id: 'ci-deployer', assertion });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('unauthorized_client');
    expect(res.body.error_description).toMatch(/confidential/);
  });

  it('refuses an ID-JAG presented by a client the issuer policy does not name (invalid_grant)', async () => {
    const assertion = await signAssertion(f.idpKey, f.idJagClaims({ client_id: 'other-partner' }), TYP);
    const res = await f.token({ assertion }, ['other-partner', PARTNER_SECRET]);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
    expect(res.body.error_description).toMatch(/may not present ID-JAGs/);
  });

  it('refuses a disabled user (invalid_grant)', async () => {
    const { alice } = f.srv;
    await f.srv.ctx.storage.users.update({ ...alice, disabled: true, updatedAt: f.now() });
    try {
      const res = await f.token({ assertion: await signAssertion(f.idpKey, f.idJagClaims(), TYP) }, PARTNER);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
      expect(res.body.error_description).toMatch(/disabled/);
    } finally {
      await f.srv.ctx.storage.users.update({ ...alice, disabled: false, updatedAt: f.now() });
    }
  });
});

describe('CO-1 a token issued from an ID-JAG (no grant) dies with its user', () => {
  it('is active at introspection until the user is disabled, then inactive', async () => {
    const carol = await createUser(f.srv.ctx, 'carol@example.com', 'Carol Example');
    const res = await f.token({ assertion: await signAssertion(f.idpKey, f.idJagClaims({ email: carol.email }), TYP) }, PARTNER);
    expect(res.status).toBe(200);
    const introspect = async () => (await postForm(`${f.srv.issuer}/introspect`, { token: res.body.access_token }, { basic: PARTNER })).body;
    expect((await introspect()).active).toBe(true);
    await f.srv.ctx.storage.users.update({ ...carol, disabled: true, updatedAt: f.now() });
    expect(await introspect()).toEqual({ active: false });
  });

  it('a disable landing while the token is signed wins (invalid_grant), and no access token row is kept', async () => {
    const dave = await createUser(f.srv.ctx, 'dave@example.com', 'Dave Example');
    const keys = f.srv.ctx.keys;
    const sign = keys.sign;
    const signed: string[] = [];
    keys.sign = async (...args) => {
      await f.srv.ctx.storage.users.update({ ...dave, disabled: true, updatedAt: f.now() });
      const token = await sign.apply(keys, args);
      signed.push(token);
      return token;
    };
    let res: Awaited<ReturnType<typeof f.token>>;
    try {
      res = await f.token({ assertion: await signAssertion(f.idpKey, f.idJagClaims({ email: dave.email }), TYP) }, PARTNER);
    } finally {
      keys.sign = sign;
    }
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
    expect(res.body.error_description).toMatch(/disabled/);
    expect(signed).toHaveLength(1);
    const jti = decodeJwt(signed[0]!).jti as string;
    expect(await f.srv.ctx.storage.accessTokens.get(jti)).toBeNull();
  });

  it('a promotion to administrator landing while the token is signed wins (invalid_grant), and no access token row is kept', async () => {
    const erin = await createUser(f.srv.ctx, 'erin@example.com', 'Erin Example');
    const keys = f.srv.ctx.keys;
    const sign = keys.sign;
    const signed: string[] = [];
    keys.sign = async (...args) => {
      await f.srv.ctx.storage.users.update({ ...erin, isAdmin: true, updatedAt: f.now() });
      const token = await sign.apply(keys, args);
      signed.push(token);
      return token;
    };
    let res: Awaited<ReturnType<typeof f.token>>;
    try {
      res = await f.token({ assertion: await signAssertion(f.idpKey, f.idJagClaims({ email: erin.email }), TYP) }, PARTNER);
    } finally {
      keys.sign = sign;
    }
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
    expect(res.body.error_description).toMatch(/administrator/);
    expect(signed).toHaveLength(1);
    const jti = decodeJwt(signed[0]!).jti as string;
    expect(await f.srv.ctx.storage.accessTokens.get(jti)).toBeNull();
  });
});

describe('acr of an ID-JAG: read through the issuer\'s acrMappings only (as upstream SSO)', () => {
  const issuer = () => f.srv.ctx.config.federation.idJagIssuers[0]!;
  const issue = async (acr: string) => {
    const res = await f.token({ assertion: await signAssertion(f.idpKey, f.idJagClaims({ acr }), TYP) }, PARTNER);
    expect(res.status).toBe(200);
    return (await f.verify(res.body.access_token)).acr;
  };

  it('translates a mapped acr to our class and drops an unmapped one, our own class names included', async () => {
    issuer().acrMappings = { 'https://company-a.example/loa/hardware-key': 'urn:mandate:acr:mfa' };
    try {
      expect(await issue('https://company-a.example/loa/hardware-key')).toBe('urn:mandate:acr:mfa');
      expect(await issue('urn:mandate:acr:phr')).toBeUndefined(); // the partner cannot claim our phishing-resistant class
      expect(await issue('constructor')).toBeUndefined(); // own keys of the mapping only
    } finally {
      issuer().acrMappings = {};
    }
  });
});

describe('typ and aud spellings', () => {
  it('accepts typ "application/oauth-id-jag+jwt" as an ID-JAG (RFC 7515 §4.1.9: the application/ prefix may be omitted)', async () => {
    const res = await f.token({ assertion: await signAssertion(f.idpKey, f.idJagClaims(), { typ: 'application/oauth-id-jag+jwt' }) }, PARTNER);
    expect(res.status).toBe(200);
    expect((await f.verify(res.body.access_token)).sub).toBe(f.srv.alice.id);
  });

  it('accepts aud as a one-element array holding our issuer', async () => {
    const res = await f.token({ assertion: await signAssertion(f.idpKey, f.idJagClaims({ aud: [f.srv.issuer] }), TYP) }, PARTNER);
    expect(res.status).toBe(200);
  });

  it('never takes an ID-JAG (any typ spelling) or an access token (at+jwt) of a workload issuer as a workload JWT', async () => {
    for (const typ of ['application/oauth-id-jag+jwt', 'at+jwt', 'application/at+jwt']) {
      const before = await issuedCount(f);
      const res = await f.token({ client_id: 'ci-deployer', assertion: await signAssertion(f.ciKey, f.workloadClaims(CI_SUB), { typ }) });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
      expect(await issuedCount(f)).toBe(before);
    }
  });
});

describe("ID-3 the client's max_token_ttl caps a token issued for an ID-JAG", () => {
  it('issues a token living at most max_token_ttl seconds', async () => {
    const client = (await f.srv.ctx.storage.clients.get('partner-app'))!;
    await f.srv.ctx.storage.clients.update({ ...client, metadata: { ...client.metadata, max_token_ttl: 60 } });
    try {
      const res = await f.token({ assertion: await signAssertion(f.idpKey, f.idJagClaims(), TYP) }, PARTNER);
      expect(res.status).toBe(200);
      expect(res.body.expires_in).toBe(60);
      const token = await f.verify(res.body.access_token);
      expect((token.exp as number) - (token.iat as number)).toBe(60);
    } finally {
      await f.srv.ctx.storage.clients.update(client);
    }
  });
});
