import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { Acr } from '@mandate/protocol';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { issueAccessToken, type AccessTokenInput } from '../../src/tokens/access-token.ts';
import type { ServerContext } from '../../src/context.ts';

const RS = 'https://mcp.example.test/mcp';
const RS2 = 'https://files.example.test';

let ts: TestServer;
let ctx: ServerContext;
let as: oauth.AuthorizationServer;

beforeAll(async () => {
  ts = await startTestServer({ authorizationDetailsTypes: [{ type: 'payment_initiation', fields: ['amount'] }] });
  ctx = ts.server.ctx;
  const issuer = new URL(ts.issuer);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true }));
});
afterAll(async () => ts.close());

function userToken(overrides: Partial<AccessTokenInput> = {}): AccessTokenInput {
  return {
    subject: 'usr_alice',
    clientId: 'client-a',
    userId: 'usr_alice',
    grantId: 'grt_1',
    scope: 'openid files:read',
    audience: [RS],
    authTime: ctx.now() - 30,
    acr: Acr.PasswordTotp,
    amr: ['pwd', 'otp'],
    ...overrides,
  };
}

/** What a resource server we did not write does with the token: oauth4webapi's RFC 9068 validator. */
function validateAsResourceServer(token: string, audience: string): Promise<oauth.JWTAccessTokenClaims> {
  const request = new Request(`${RS}/tools`, { headers: { authorization: `Bearer ${token}` } });
  return oauth.validateJwtAccessToken(as, request, audience, { [oauth.allowInsecureRequests]: true });
}

describe('RFC 9068 §2.1 header and §2.2 claims of a JWT access token', () => {
  it('carries typ at+jwt and every required claim; a third-party RFC 9068 validator accepts it', async () => {
    const input = userToken();
    const issued = await issueAccessToken(ctx, input);
    const header = decodeProtectedHeader(issued.token);
    expect(header).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
    expect(header.kid).toBe((await ctx.keys.jwks()).keys[0]?.kid);

    const claims = await validateAsResourceServer(issued.token, RS);
    expect(claims).toMatchObject({
      iss: ts.issuer,
      sub: 'usr_alice',
      aud: RS,
      client_id: 'client-a',
      scope: 'openid files:read',
      jti: issued.jti,
      auth_time: input.authTime,
      acr: Acr.PasswordTotp,
      amr: ['pwd', 'otp'],
    });
    expect(claims.exp - claims.iat).toBe(ctx.config.ttl.accessToken);
    expect(issued.expiresIn).toBe(ctx.config.ttl.accessToken);
    expect(issued.expiresAt).toBe(claims.exp);
    expect(claims).not.toHaveProperty('cnf');
    expect(claims).not.toHaveProperty('authorization_details');
  });

  it('records the token by jti so introspection and revocation can find it (RFC 7662, RFC 7009)', async () => {
    const issued = await issueAccessToken(ctx, userToken());
    expect(await ctx.storage.accessTokens.get(issued.jti)).toEqual({
      jti: issued.jti,
      grantId: 'grt_1',
      clientId: 'client-a',
      userId: 'usr_alice',
      scope: 'openid files:read',
      expiresAt: issued.expiresAt,
      createdAt: issued.expiresAt - ctx.config.ttl.accessToken,
      revokedAt: null,
    });
  });

  it('gives every token its own jti', async () => {
    const jtis = new Set<string>();
    for (let i = 0; i < 20; i++) jtis.add((await issueAccessToken(ctx, userToken())).jti);
    expect(jtis.size).toBe(20);
  });

  it('aud is a string for one resource and an array for several (RFC 8707 §2, RFC 7519 §4.1.3)', async () => {
    const issued = await issueAccessToken(ctx, userToken({ audience: [RS, RS2] }));
    expect(decodeJwt(issued.token).aud).toEqual([RS, RS2]);
    await expect(validateAsResourceServer(issued.token, RS2)).resolves.toMatchObject({ aud: [RS, RS2] });
    await expect(validateAsResourceServer(issued.token, 'https://other.example.test')).rejects.toThrow();
  });

  it('without a resource, the audience is the issuer itself (RFC 9068 §3 default), never some resource server', async () => {
    const issued = await issueAccessToken(ctx, userToken({ audience: [] }));
    expect(decodeJwt(issued.token).aud).toBe(ts.issuer);
    await expect(validateAsResourceServer(issued.token, RS)).rejects.toThrow();
    await expect(ctx.keys.verify(issued.token, { typ: 'at+jwt', audience: ts.issuer })).resolves.toBeTruthy();
  });

  it('client_credentials: sub is the client, no user authentication claims (RFC 9068 §2.2)', async () => {
    const issued = await issueAccessToken(ctx, { subject: 'svc-1', clientId: 'svc-1', userId: null, grantId: null, scope: 'files:read', audience: [RS], ttl: ctx.config.ttl.clientCredentials });
    const claims = await validateAsResourceServer(issued.token, RS);
    expect(claims).toMatchObject({ sub: 'svc-1', client_id: 'svc-1' });
    for (const name of ['auth_time', 'acr', 'amr']) expect(claims).not.toHaveProperty(name);
    expect(claims.exp - claims.iat).toBe(ctx.config.ttl.clientCredentials);
    expect((await ctx.storage.accessTokens.get(issued.jti))?.userId).toBeNull();
  });

  it('omits scope when nothing was granted (§2.2.3 applies only when there is a scope)', async () => {
    const issued = await issueAccessToken(ctx, userToken({ scope: '' }));
    expect(decodeJwt(issued.token)).not.toHaveProperty('scope');
  });

  it('extra claims add to the token but never redefine a claim the profile sets', async () => {
    const issued = await issueAccessToken(
      ctx,
      userToken({ extraClaims: { act: { sub: 'agent-7' }, iss: 'https://evil.example.test', sub: 'root', aud: 'https://evil.example.test', scope: 'admin', cnf: { jkt: 'x' } } }),
    );
    const claims = await validateAsResourceServer(issued.token, RS);
    expect(claims).toMatchObject({ act: { sub: 'agent-7' }, iss: ts.issuer, sub: 'usr_alice', aud: RS, scope: 'openid files:read' });
    expect(claims).not.toHaveProperty('cnf');
  });
});

describe('RFC 9449 §6.1 DPoP-bound access tokens carry cnf.jkt', () => {
  it('puts the key thumbprint in cnf and nothing else', async () => {
    const jkt = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';
    const issued = await issueAccessToken(ctx, userToken({ cnfJkt: jkt }));
    const { payload } = await jwtVerify(issued.token, createRemoteJWKSet(new URL(as.jwks_uri!)), { issuer: ts.issuer, audience: RS, typ: 'at+jwt' });
    expect(payload.cnf).toEqual({ jkt });
  });

  it('a null binding produces no cnf claim', async () => {
    const issued = await issueAccessToken(ctx, userToken({ cnfJkt: null }));
    expect(decodeJwt(issued.token)).not.toHaveProperty('cnf');
  });
});

describe('RFC 9396 §9.1 authorization_details in the access token', () => {
  it('copies the granted authorization details into the token', async () => {
    const details = [{ type: 'payment_initiation', amount: { currency: 'EUR', value: '12.00' } }];
    const issued = await issueAccessToken(ctx, userToken({ authorizationDetails: details }));
    const claims = await validateAsResourceServer(issued.token, RS);
    expect(claims.authorization_details).toEqual(details);
  });

  it('leaves the claim out when none were granted', async () => {
    for (const authorizationDetails of [null, []]) {
      const issued = await issueAccessToken(ctx, userToken({ authorizationDetails }));
      expect(decodeJwt(issued.token)).not.toHaveProperty('authorization_details');
    }
  });
});
