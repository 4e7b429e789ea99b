/**
 * oauth4webapi's `validateJwtAccessToken` (RFC 9068 §4, RFC 9449 §7) as the resource server's
 * only check: typ at+jwt, signature against our JWKS, iss, exp, aud, the required claims, and
 * for DPoP-bound tokens the proof (htm, htu, ath) and the cnf.jkt binding. The tokens come from
 * real grants, and the DPoP-bound request is sent by openid-client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { decodeProtectedHeader } from 'jose';
import { authorizeHeadlessly } from '../src/browserless-login.ts';
import { INTEROP_SCOPES, nativeClient, serviceClient, serviceClientKeys } from '../src/clients.ts';
import { discoverWithOauth4webapi, startOauth4webapiResourceServer, type Oauth4webapiResourceServer } from '../src/oauth4webapi-resource-server.ts';
import { createUser, startAuthorizationServer, type TestServer } from '../src/server.ts';

const insecure = { execute: [client.allowInsecureRequests] };
let as: TestServer;
let rs: Oauth4webapiResourceServer;
let service: client.Configuration;

beforeAll(async () => {
  const keys = await serviceClientKeys();
  as = await startAuthorizationServer({ scopesSupported: INTEROP_SCOPES, clients: [nativeClient(), serviceClient(keys)] });
  rs = await startOauth4webapiResourceServer(await discoverWithOauth4webapi(as.issuer));
  service = await client.discovery(new URL(as.issuer), 'interop-service', undefined, client.PrivateKeyJwt(keys.privateKey), insecure);
});
afterAll(async () => {
  await rs?.close();
  await as?.close();
});

function callApi(token: string, scheme = 'Bearer'): Promise<Response> {
  return fetch(rs.resource, { headers: { authorization: `${scheme} ${token}` } });
}

describe('oauth4webapi validateJwtAccessToken: RFC 9068 JWT access tokens', () => {
  it('accepts a client_credentials access token issued for this resource', async () => {
    const { access_token } = await client.clientCredentialsGrant(service, { scope: 'mcp:tools', resource: rs.resource });
    const res = await callApi(access_token);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ iss: as.issuer, aud: rs.resource, sub: 'interop-service', client_id: 'interop-service', scope: 'mcp:tools' });
  });

  it('rejects a token issued for another resource (aud, RFC 9068 §4)', async () => {
    const { access_token } = await client.clientCredentialsGrant(service, { scope: 'mcp:tools', resource: 'http://127.0.0.1:1/elsewhere' });
    const res = await callApi(access_token);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' });
  });
});

describe('oauth4webapi validateJwtAccessToken: RFC 9449 §7 DPoP-bound access tokens', () => {
  async function dpopBoundToken(): Promise<{ config: client.Configuration; dpop: client.DPoPHandle; token: string; sub: string }> {
    const config = await client.discovery(new URL(as.issuer), 'interop-native', undefined, client.None(), insecure);
    const dpop = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
    const user = await createUser(as.server.ctx);
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: 'http://127.0.0.1:53686/callback',
      scope: 'mcp:tools',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      resource: rs.resource,
    });
    const { callback } = await authorizeHeadlessly(url, user);
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state }, { resource: rs.resource }, { DPoP: dpop });
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    return { config, dpop, token: tokens.access_token, sub: user.id };
  }

  it('accepts a DPoP-bound user token presented with a proof of the bound key', async () => {
    const { config, dpop, token, sub } = await dpopBoundToken();
    const res = await client.fetchProtectedResource(config, token, new URL(rs.resource), 'GET', undefined, undefined, { DPoP: dpop });
    expect(res.status, await res.clone().text()).toBe(200);
    const claims = (await res.json()) as Record<string, unknown>;
    expect(claims).toMatchObject({ iss: as.issuer, aud: rs.resource, sub, client_id: 'interop-native', scope: 'mcp:tools' });
    expect(claims.cnf).toHaveProperty('jkt');
  });

  it('rejects the DPoP-bound token presented as a plain bearer token', async () => {
    const { token } = await dpopBoundToken();
    const res = await callApi(token);
    expect(res.status).toBe(401);
  });

  it('rejects the DPoP-bound token with a proof from another key', async () => {
    const { config, token } = await dpopBoundToken();
    const otherKey = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
    const res = await client.fetchProtectedResource(config, token, new URL(rs.resource), 'GET', undefined, undefined, { DPoP: otherKey });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' });
  });
});

describe.each(['EdDSA', 'RS256'] as const)('oauth4webapi validateJwtAccessToken with %s signing keys (RFC 9068 §4, selectable algorithms)', (signingAlg) => {
  it('accepts an access token signed with the selected algorithm', async () => {
    const keys = await serviceClientKeys();
    const otherAs = await startAuthorizationServer({ signingAlg, scopesSupported: INTEROP_SCOPES, clients: [serviceClient(keys)] });
    const otherRs = await startOauth4webapiResourceServer(await discoverWithOauth4webapi(otherAs.issuer));
    try {
      const config = await client.discovery(new URL(otherAs.issuer), 'interop-service', undefined, client.PrivateKeyJwt(keys.privateKey), insecure);
      const { access_token } = await client.clientCredentialsGrant(config, { scope: 'mcp:tools', resource: otherRs.resource });
      expect(decodeProtectedHeader(access_token).alg).toBe(signingAlg);
      const res = await fetch(otherRs.resource, { headers: { authorization: `Bearer ${access_token}` } });
      expect(res.status, await res.clone().text()).toBe(200);
      expect(await res.json()).toMatchObject({ iss: otherAs.issuer, aud: otherRs.resource, client_id: 'interop-service' });
    } finally {
      await otherRs.close();
      await otherAs.close();
    }
  });
});
