/**
 * openid-client v6 with pushed authorization requests (RFC 9126) bound to a DPoP key at PAR
 * (RFC 9449 §10.1), a confidential web client authenticating with client_secret_basic
 * (RFC 6749 §2.3.1), and the UserInfo endpoint (OIDC Core §5.3) called with DPoP and Bearer tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { authorizeHeadlessly } from '../src/browserless-login.ts';
import { INTEROP_SCOPES, nativeClient } from '../src/clients.ts';
import { createUser, startAuthorizationServer, type TestServer } from '../src/server.ts';

const insecure = { execute: [client.allowInsecureRequests] };
const WEB_SECRET = 'interop-web-app-secret-0123456789abcdefghijkl';
const WEB_REDIRECT = 'http://127.0.0.1:53691/callback';
let as: TestServer;

beforeAll(async () => {
  as = await startAuthorizationServer({
    scopesSupported: INTEROP_SCOPES,
    clients: [
      { ...nativeClient('interop-par-native'), require_pushed_authorization_requests: true },
      {
        client_id: 'interop-web-app',
        client_secret: WEB_SECRET,
        client_name: 'Interop Web App',
        application_type: 'web',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: [WEB_REDIRECT],
        scope: INTEROP_SCOPES.join(' '),
      },
    ],
  });
});
afterAll(async () => {
  await as?.close();
});

describe('openid-client PAR (RFC 9126) with DPoP (RFC 9449 §10.1) for a client that requires PAR', () => {
  it('pushes the request with a DPoP proof, completes the flow, and reads UserInfo with the DPoP token', async () => {
    const config = await client.discovery(new URL(as.issuer), 'interop-par-native', undefined, client.None(), insecure);
    const dpop = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
    const user = await createUser(as.server.ctx, 'PAR User');
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const redirectTo = await client.buildAuthorizationUrlWithPAR(
      config,
      {
        redirect_uri: 'http://127.0.0.1:53692/callback',
        scope: 'openid email',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      },
      { DPoP: dpop },
    );
    expect(redirectTo.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);

    const { callback } = await authorizeHeadlessly(redirectTo, user);
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce }, undefined, { DPoP: dpop });
    expect(tokens.token_type.toLowerCase()).toBe('dpop');

    const info = await client.fetchUserInfo(config, tokens.access_token, user.id, { DPoP: dpop });
    expect(info).toMatchObject({ sub: user.id, email: user.email });
  });

  it('refuses a plain authorization request from the client that requires PAR', async () => {
    const config = await client.discovery(new URL(as.issuer), 'interop-par-native', undefined, client.None(), insecure);
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: 'http://127.0.0.1:53692/callback',
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: 'xyz',
    });
    const { callback } = await authorizeHeadlessly(url, await createUser(as.server.ctx));
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.get('iss')).toBe(as.issuer);
    expect(callback.searchParams.get('state')).toBe('xyz');
  });
});

describe('openid-client confidential client with client_secret_basic (RFC 6749 §2.3.1)', () => {
  it('completes the code flow, refreshes, and reads UserInfo with a Bearer token', async () => {
    const config = await client.discovery(new URL(as.issuer), 'interop-web-app', undefined, client.ClientSecretBasic(WEB_SECRET), insecure);
    const user = await createUser(as.server.ctx, 'Web User');
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: WEB_REDIRECT,
      scope: 'openid profile email',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const { callback, consent } = await authorizeHeadlessly(url, user);
    expect(consent?.clientName).toBe('Interop Web App');
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    // Rotation applies to confidential clients too.
    expect(refreshed.refresh_token).toBeTypeOf('string');
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);

    const info = await client.fetchUserInfo(config, refreshed.access_token, user.id);
    expect(info).toMatchObject({ sub: user.id, email: user.email, name: 'Web User' });
  });

  it('refuses a wrong secret: 401 with a Basic challenge and invalid_client (RFC 6749 §5.2)', async () => {
    const config = await client.discovery(new URL(as.issuer), 'interop-web-app', undefined, client.ClientSecretBasic(`${WEB_SECRET}x`), insecure);
    const err = await client.refreshTokenGrant(config, 'anything').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(client.WWWAuthenticateChallengeError);
    const challenge = err as client.WWWAuthenticateChallengeError;
    expect(challenge.status).toBe(401);
    expect(challenge.cause[0]?.scheme).toBe('basic');
    expect(await challenge.response.json()).toMatchObject({ error: 'invalid_client' });
  });
});
