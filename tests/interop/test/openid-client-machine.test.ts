/**
 * openid-client v6 as a machine client and as a resource server's helper: client_credentials with
 * private_key_jwt (RFC 7523), token introspection (RFC 7662) and revocation (RFC 7009), each with
 * openid-client building the client assertion and parsing our answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { authorizeHeadlessly } from '../src/browserless-login.ts';
import { INTEROP_SCOPES, nativeClient, serviceClient, serviceClientKeys, type ServiceClientKeys } from '../src/clients.ts';
import { createUser, startAuthorizationServer, type TestServer } from '../src/server.ts';

const RESOURCE = 'http://127.0.0.1:53684/mcp';
const insecure = { execute: [client.allowInsecureRequests] };

let as: TestServer;
let keys: ServiceClientKeys;
let service: client.Configuration;

beforeAll(async () => {
  keys = await serviceClientKeys();
  as = await startAuthorizationServer({ scopesSupported: INTEROP_SCOPES, clients: [nativeClient(), serviceClient(keys)] });
  service = await client.discovery(new URL(as.issuer), 'interop-service', undefined, client.PrivateKeyJwt(keys.privateKey), insecure);
});
afterAll(async () => {
  await as?.close();
});

describe('openid-client client_credentials with private_key_jwt (RFC 6749 §4.4, RFC 7523 §2.2)', () => {
  it('gets an RFC 9068 access token for the requested resource', async () => {
    const tokens = await client.clientCredentialsGrant(service, { scope: 'mcp:tools', resource: RESOURCE });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.expires_in).toBeGreaterThan(0);
    expect(tokens.refresh_token).toBeUndefined();
    expect(decodeProtectedHeader(tokens.access_token).typ).toBe('at+jwt');
    expect(decodeJwt(tokens.access_token)).toMatchObject({ iss: as.issuer, sub: 'interop-service', client_id: 'interop-service', aud: RESOURCE, scope: 'mcp:tools' });
  });

  it('refuses an assertion signed with a key the client did not register', async () => {
    const stranger = await serviceClientKeys('interop-service-key-1');
    const impostor = await client.discovery(new URL(as.issuer), 'interop-service', undefined, client.PrivateKeyJwt(stranger.privateKey), insecure);
    await expect(client.clientCredentialsGrant(impostor, { scope: 'mcp:tools' })).rejects.toMatchObject({ error: 'invalid_client' });
  });
});

describe('openid-client token introspection (RFC 7662 §2)', () => {
  it('reports a live access token as active with its claims', async () => {
    const tokens = await client.clientCredentialsGrant(service, { scope: 'mcp:tools', resource: RESOURCE });
    const info = await client.tokenIntrospection(service, tokens.access_token);
    expect(info).toMatchObject({ active: true, client_id: 'interop-service', scope: 'mcp:tools', iss: as.issuer });
    expect(info.exp).toBeGreaterThan(Math.floor(Date.now() / 1000));
  });

  it('reports garbage as inactive', async () => {
    expect(await client.tokenIntrospection(service, 'not-a-token')).toEqual({ active: false });
  });
});

describe('openid-client token revocation (RFC 7009 §2)', () => {
  it('revokes an access token, which then introspects as inactive', async () => {
    const tokens = await client.clientCredentialsGrant(service, { scope: 'mcp:tools', resource: RESOURCE });
    await client.tokenRevocation(service, tokens.access_token, { token_type_hint: 'access_token' });
    expect((await client.tokenIntrospection(service, tokens.access_token)).active).toBe(false);
  });

  it('lets a public client revoke its refresh token, ending the grant and its access tokens', async () => {
    const publicClient = await client.discovery(new URL(as.issuer), 'interop-native', undefined, client.None(), insecure);
    const user = await createUser(as.server.ctx);
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(publicClient, {
      redirect_uri: 'http://127.0.0.1:53685/callback',
      scope: 'mcp:tools',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      resource: RESOURCE,
    });
    const { callback } = await authorizeHeadlessly(url, user);
    const tokens = await client.authorizationCodeGrant(publicClient, callback, { pkceCodeVerifier: verifier, expectedState: state });
    expect((await client.tokenIntrospection(service, tokens.access_token)).active).toBe(true);

    await client.tokenRevocation(publicClient, tokens.refresh_token!, { token_type_hint: 'refresh_token' });
    // §2.1: revoking a refresh token should also invalidate the access tokens of the same grant.
    expect((await client.tokenIntrospection(service, tokens.access_token)).active).toBe(false);
    await expect(client.refreshTokenGrant(publicClient, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
