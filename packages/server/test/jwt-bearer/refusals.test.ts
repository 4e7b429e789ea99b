/**
 * RFC 7523 §3 and §3.1: a workload assertion that fails any check gets `invalid_grant` (or
 * `invalid_request` when the assertion is missing, `invalid_scope` for scopes) with a reason
 * that names the failed check — and nothing is issued.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64, CI_SUB, issuedCount, issuerKey, signAssertion, startFederationServer, type FederationServer } from './support.ts';

let f: FederationServer;
beforeAll(async () => {
  f = await startFederationServer();
});
afterAll(async () => {
  await f.close();
});

type Case = [name: string, make: (f: FederationServer) => Promise<string> | string, error: string, reason: RegExp, clientId?: string];

const unsigned = (f: FederationServer): string => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(f.workloadClaims(CI_SUB))}.`;
/** An HMAC "keyed" with the issuer's public key: the classic algorithm-confusion forgery. */
const hmacForged = (f: FederationServer): string => {
  const input = `${b64({ alg: 'HS256', kid: f.ciKey.kid })}.${b64(f.workloadClaims(CI_SUB))}`;
  return `${input}.${createHmac('sha256', JSON.stringify(f.ciKey.publicJwk)).update(input).digest('base64url')}`;
};

const cases: Case[] = [
  ['an untrusted issuer', (f) => signAssertion(f.ciKey, f.workloadClaims(CI_SUB, { iss: 'https://evil.example' })), 'invalid_grant', /not a trusted issuer/],
  ['aud naming another server', (f) => signAssertion(f.ciKey, f.workloadClaims(CI_SUB, { aud: 'https://other-as.example' })), 'invalid_grant', /"aud"/],
  // draft-ietf-oauth-rfc7523bis: made for another party as well (audience injection); jose alone would accept it.
  ['aud naming this server and another', (f) => signAssertion(f.ciKey, f.workloadClaims(CI_SUB, { aud: ['https://other-as.example', f.srv.issuer] })), 'invalid_grant', /name this server alone/],
  ['aud naming the issuer and the token endpoint', (f) => signAssertion(f.ciKey, f.workloadClaims(CI_SUB, { aud: [f.srv.issuer, f.srv.tokenUrl] })), 'invalid_grant', /name this server alone/],
  ['expired', (f) => signAssertion(f.ciKey, f.workloadClaims(CI_SUB, { iat: f.now() - 900, exp: f.now() - 120 })), 'invalid_grant', /expired/],
  ['exp unreasonably far in the future', (f) => signAssertion(f.ciKey, f.workloadClaims(CI_SUB, { exp: f.now() + 86400 })), 'invalid_grant', /lives longer/],
  ['iat in the future', (f) => signAssertion(f.ciKey, f.workloadClaims(CI_SUB, { iat: f.now() + 600, exp: f.now() + 900 })), 'invalid_grant', /"iat"/],
  ['not valid yet (nbf)', (f) => signAssertion(f.ciKey, f.workloadClaims(CI_SUB, { nbf: f.now() + 600 })), 'invalid_grant', /nbf/],
  ['alg none (unsigned)', unsigned, 'invalid_grant', /alg "none"/],
  ['HS256 keyed with the public key', hmacForged, 'invalid_grant', /alg "HS256"/],
  ['signed with an algorithm the issuer does not use', async (f) => signAssertion({ ...(await issuerKey('RS256')), kid: f.ciKey.kid }, f.workloadClaims(CI_SUB)), 'invalid_grant', /alg "RS256"/],
  ['signed with a stranger\'s key', async (f) => signAssertion({ ...(await issuerKey('ES256')), kid: f.ciKey.kid }, f.workloadClaims(CI_SUB)), 'invalid_grant', /signature/],
  ['missing sub', (f) => signAssertion(f.ciKey, f.workloadClaims(CI_SUB, { sub: undefined })), 'invalid_grant', /"sub"/],
  ['missing exp', (f) => signAssertion(f.ciKey, f.workloadClaims(CI_SUB, { exp: undefined })), 'invalid_grant', /"exp"/],
  ['missing jti', (f) => signAssertion(f.ciKey, f.workloadClaims(CI_SUB, { jti: undefined })), 'invalid_grant', /"jti"/],
  ['missing aud', (f) => signAssertion(f.ciKey, f.workloadClaims(CI_SUB, { aud: undefined })), 'invalid_grant', /"aud"/],
  ['missing iss', (f) => signAssertion(f.ciKey, f.workloadClaims(CI_SUB, { iss: undefined })), 'invalid_grant', /"iss"/],
  ['an unmapped subject', (f) => signAssertion(f.ciKey, f.workloadClaims('repo:acme/app:pull_request')), 'invalid_grant', /No mapping rule/],
  ['mapped to another client than the one presenting it', (f) => signAssertion(f.ciKey, f.workloadClaims(CI_SUB)), 'invalid_grant', /only that client/, 'other-deployer'],
  ['a workload JWT from a trusted issuer claiming the ID-JAG typ', (f) => signAssertion(f.ciKey, f.workloadClaims(CI_SUB), { typ: 'oauth-id-jag+jwt' }), 'invalid_grant', /not a trusted identity assertion issuer/],
  ['not a JWT', () => 'not-a-jwt', 'invalid_grant', /well-formed/],
  ['a JWT with a non-JSON payload', () => `${b64({ alg: 'ES256' })}.bm90IGpzb24.c2ln`, 'invalid_grant', /well-formed/],
  ['longer than 16 KiB', (f) => signAssertion(f.ciKey, f.workloadClaims(CI_SUB, { pad: 'x'.repeat(20000) })), 'invalid_grant', /longer than/],
];

describe('RFC 7523 §3 assertion validation: refusals issue nothing', () => {
  for (const [name, make, error, reason, clientId] of cases) {
    it(`refuses an assertion that is ${name}: ${error}`, async () => {
      const assertion = await make(f);
      const before = await issuedCount(f);
      const res = await f.token({ client_id: clientId ?? 'ci-deployer', assertion });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe(error);
      expect(res.body.error_description).toMatch(reason);
      expect(res.body.access_token).toBeUndefined();
      expect(await issuedCount(f)).toBe(before);
    });
  }

  it('refuses a replayed jti (RFC 7523 §3 (7)): the first use succeeds, the second is invalid_grant', async () => {
    const assertion = await signAssertion(f.ciKey, f.workloadClaims(CI_SUB));
    expect((await f.token({ client_id: 'ci-deployer', assertion })).status).toBe(200);
    const before = await issuedCount(f);
    const replay = await f.token({ client_id: 'ci-deployer', assertion });
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    expect(replay.body.error_description).toMatch(/jti replay/);
    expect(await issuedCount(f)).toBe(before);
  });

  it('audits every refusal with its reason (AU-1), never the assertion itself', async () => {
    const assertion = await signAssertion(f.ciKey, f.workloadClaims(CI_SUB, { iss: 'https://audited-evil.example' }));
    expect((await f.token({ client_id: 'ci-deployer', assertion })).status).toBe(400);
    const failures = await f.srv.ctx.storage.audit.list({ clientId: 'ci-deployer', event: 'token_failed', limit: 1000 });
    const entry = failures.find((e) => e.reason?.includes('audited-evil.example'));
    expect(entry?.reason).toMatch(/^invalid_grant: .*not a trusted issuer/);
    expect(JSON.stringify(entry)).not.toContain(assertion.split('.')[2]);
  });

  it('answers invalid_request when the assertion parameter is missing (RFC 7523 §2.1)', async () => {
    const res = await f.token({ client_id: 'ci-deployer' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toMatch(/'assertion'/);
  });

  it('answers invalid_scope for a scope the server does not support, and for one the identity may not have', async () => {
    const unknown = await f.token({ client_id: 'ci-deployer', assertion: await signAssertion(f.ciKey, f.workloadClaims(CI_SUB)), scope: 'root' });
    expect(unknown.body.error).toBe('invalid_scope');
    const notAllowed = await f.token({ client_id: 'ci-deployer', assertion: await signAssertion(f.ciKey, f.workloadClaims(CI_SUB)), scope: 'mcp:admin' });
    expect(notAllowed.body.error).toBe('invalid_scope');
    const userOnly = await f.token({ client_id: 'ci-deployer', assertion: await signAssertion(f.ciKey, f.workloadClaims(CI_SUB)), scope: 'openid' });
    expect(userOnly.body.error).toBe('invalid_scope');
  });

  it('refuses a client not registered for the jwt-bearer grant (unauthorized_client, RFC 6749 §5.2)', async () => {
    const res = await f.token({ client_id: 'machine', client_secret: 'machine-secret-0123456789-abcdefghijklmnopqr', assertion: await signAssertion(f.ciKey, f.workloadClaims(CI_SUB)) });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('unauthorized_client');
  });
});
