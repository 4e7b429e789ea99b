/**
 * openid-client v6 (panva) as a public native client: discovery, authorization code with PKCE and
 * DPoP, the ID token, and refresh token rotation with reuse detection. openid-client does its own
 * response checks (iss per RFC 9207, state, PKCE, ID token signature and nonce, DPoP nonce retry),
 * so a passing flow means a strict third-party client accepts every response we send.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { calculateJwkThumbprint, decodeJwt, exportJWK } from 'jose';
import { authorizeHeadlessly } from '../src/browserless-login.ts';
import { INTEROP_SCOPES, nativeClient, serviceClient, serviceClientKeys, type ServiceClientKeys } from '../src/clients.ts';
import { createUser, startAuthorizationServer, type TestServer } from '../src/server.ts';

const REDIRECT = 'http://127.0.0.1:53682/callback';
const RESOURCE = 'http://127.0.0.1:53683/mcp';
const insecure = { execute: [client.allowInsecureRequests] };

let as: TestServer;
let keys: ServiceClientKeys;

function publicClient(algorithm?: 'oidc' | 'oauth2'): Promise<client.Configuration> {
  return client.discovery(new URL(as.issuer), 'interop-native', undefined, client.None(), { ...insecure, ...(algorithm ? { algorithm } : {}) });
}

async function codeFlow(config: client.Configuration, dpop: client.DPoPHandle) {
  const user = await createUser(as.server.ctx, 'Code Flow User');
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid email mcp:tools',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    resource: RESOURCE,
  });
  const { callback } = await authorizeHeadlessly(url, user);
  const tokens = await client.authorizationCodeGrant(
    config,
    callback,
    { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true },
    { resource: RESOURCE },
    { DPoP: dpop },
  );
  return { user, tokens };
}

// The same flows on both storage backends: what a client sees must not depend on the database.
describe.each(['sqlite', 'postgres'] as const)('storage backend: %s', (backend) => {
  beforeAll(async () => {
    keys = await serviceClientKeys();
    as = await startAuthorizationServer({ scopesSupported: INTEROP_SCOPES, clients: [nativeClient(), serviceClient(keys)] }, backend);
  });
  afterAll(async () => {
    await as?.close();
  });

  describe('openid-client discovery: RFC 8414 and OpenID Connect Discovery 1.0', () => {
    it('discovers the issuer through /.well-known/openid-configuration', async () => {
      const meta = (await publicClient()).serverMetadata();
      expect(meta.issuer).toBe(as.issuer);
      expect(meta.code_challenge_methods_supported).toEqual(['S256']);
      expect(meta.supportsPKCE()).toBe(true);
    });

    it('discovers the issuer through /.well-known/oauth-authorization-server', async () => {
      const meta = (await publicClient('oauth2')).serverMetadata();
      expect(meta.issuer).toBe(as.issuer);
      expect(meta.authorization_response_iss_parameter_supported).toBe(true);
      expect(meta.dpop_signing_alg_values_supported).toContain('ES256');
    });
  });

  describe('openid-client authorization code + PKCE (RFC 7636) + DPoP (RFC 9449)', () => {
    it('exchanges a code for a DPoP-bound access token and a verified ID token', async () => {
      const config = await publicClient();
      const dpopKeys = await client.randomDPoPKeyPair('ES256');
      const { user, tokens } = await codeFlow(config, client.getDPoPHandle(config, dpopKeys));

      expect(tokens.token_type.toLowerCase()).toBe('dpop');
      const at = decodeJwt(tokens.access_token);
      expect(at.aud).toBe(RESOURCE);
      expect(at.client_id).toBe('interop-native');
      expect((at.cnf as { jkt?: string }).jkt).toBe(await calculateJwkThumbprint(await exportJWK(dpopKeys.publicKey)));
      // openid-client verified the ID token (signature, iss, aud, nonce) before returning it.
      expect(tokens.claims()?.sub).toBe(user.id);
      expect(tokens.refresh_token).toBeTypeOf('string');
    });
  });

  describe('openid-client refresh rotation (OAuth 2.1 §4.3.1, RFC 9700 §4.14.2 reuse detection)', () => {
    it('rotates the refresh token; the old one is refused and its reuse revokes the whole family', async () => {
      const config = await publicClient();
      const dpop = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
      const { tokens } = await codeFlow(config, dpop);
      const first = tokens.refresh_token!;

      const rotated = await client.refreshTokenGrant(config, first, undefined, { DPoP: dpop });
      expect(rotated.refresh_token).toBeTypeOf('string');
      expect(rotated.refresh_token).not.toBe(first);
      expect(rotated.token_type.toLowerCase()).toBe('dpop');

      await expect(client.refreshTokenGrant(config, first, undefined, { DPoP: dpop })).rejects.toMatchObject({ error: 'invalid_grant' });
      // The reuse revoked the family: the successor is dead too, and so are its access tokens.
      await expect(client.refreshTokenGrant(config, rotated.refresh_token!, undefined, { DPoP: dpop })).rejects.toMatchObject({ error: 'invalid_grant' });
      const introspector = await client.discovery(new URL(as.issuer), 'interop-service', undefined, client.PrivateKeyJwt(keys.privateKey), insecure);
      expect((await client.tokenIntrospection(introspector, rotated.access_token)).active).toBe(false);
    });

    it('refuses a public client refresh token presented with another DPoP key (RFC 9449 §5)', async () => {
      const config = await publicClient();
      const dpop = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
      const { tokens } = await codeFlow(config, dpop);
      const otherKey = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
      await expect(client.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP: otherKey })).rejects.toMatchObject({ error: 'invalid_grant' });
    });
  });
});

describe('openid-client with server DPoP nonces (RFC 9449 §8)', () => {
  it('retries with the nonce from use_dpop_nonce and completes the code flow', async () => {
    const nonceServer = await startAuthorizationServer({ scopesSupported: INTEROP_SCOPES, clients: [nativeClient()], dpop: { requireNonce: true } });
    try {
      const config = await client.discovery(new URL(nonceServer.issuer), 'interop-native', undefined, client.None(), insecure);
      const tokenAnswers: { status: number; error?: string; nonce: string | null }[] = [];
      config[client.customFetch] = async (url, init) => {
        const res = await fetch(url, init as RequestInit);
        if (new URL(url).pathname === '/token') {
          const body = (await res.clone().json()) as { error?: string };
          tokenAnswers.push({ status: res.status, error: body.error, nonce: res.headers.get('dpop-nonce') });
        }
        return res;
      };
      const dpop = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
      const user = await createUser(nonceServer.server.ctx);
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT,
        scope: 'mcp:tools',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      });
      const { callback } = await authorizeHeadlessly(url, user);
      const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state }, undefined, { DPoP: dpop });
      expect(tokens.token_type.toLowerCase()).toBe('dpop');
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP: dpop });
      expect(refreshed.access_token).toBeTypeOf('string');
      // The first proof had no nonce: 400 use_dpop_nonce with a DPoP-Nonce header, then the retry succeeded.
      expect(tokenAnswers[0]).toMatchObject({ status: 400, error: 'use_dpop_nonce' });
      expect(tokenAnswers[0]?.nonce).toBeTruthy();
      expect(tokenAnswers.filter((a) => a.status === 200)).toHaveLength(2);
    } finally {
      await nonceServer.close();
    }
  });
});
