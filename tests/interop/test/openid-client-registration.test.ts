/**
 * openid-client v6 dynamic client registration (RFC 7591) under the `open` policy, and the
 * registered clients then used for real grants: a public native client through the code flow,
 * a confidential client through client_credentials with the secret we generated, and a
 * private_key_jwt client with the keys it registered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { decodeJwt } from 'jose';
import { authorizeHeadlessly } from '../src/browserless-login.ts';
import { INTEROP_SCOPES, serviceClientKeys } from '../src/clients.ts';
import { createUser, startAuthorizationServer, type TestServer } from '../src/server.ts';

const insecure = { execute: [client.allowInsecureRequests] };
let as: TestServer;

beforeAll(async () => {
  // Registered clients may use client_credentials for mcp:tools only: the operator's list for self-registered clients (grants/client-credentials/self-registered.ts).
  as = await startAuthorizationServer({ scopesSupported: INTEROP_SCOPES, dcr: { policy: 'open' }, selfRegisteredClients: { clientCredentialsScopes: ['mcp:tools'] } });
});
afterAll(async () => {
  await as?.close();
});

describe('openid-client dynamic client registration (RFC 7591 §3)', () => {
  it('registers a public native client that then completes the code flow, named on the consent page', async () => {
    const config = await client.dynamicClientRegistration(
      new URL(as.issuer),
      {
        client_name: 'Registered Native Interop',
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: ['http://127.0.0.1/callback'],
        scope: 'openid mcp:tools',
      },
      client.None(),
      insecure,
    );
    const registered = config.clientMetadata();
    expect(registered.client_id).toMatch(/\S/);
    expect(registered.client_secret).toBeUndefined();
    expect(registered.token_endpoint_auth_method).toBe('none');

    const user = await createUser(as.server.ctx);
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: 'http://127.0.0.1:53690/callback',
      scope: 'openid mcp:tools',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce: 'n-0S6_WzA2Mj',
    });
    const { callback, consent } = await authorizeHeadlessly(url, user);
    expect(consent?.clientName).toBe('Registered Native Interop');
    expect(consent?.redirectHost).toContain('127.0.0.1');
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: 'n-0S6_WzA2Mj' });
    expect(decodeJwt(tokens.access_token).client_id).toBe(registered.client_id);
    expect(tokens.claims()?.aud).toBe(registered.client_id);
  });

  it('registers a confidential client whose generated secret works at the token endpoint', async () => {
    const config = await client.dynamicClientRegistration(
      new URL(as.issuer),
      { client_name: 'Registered Service', token_endpoint_auth_method: 'client_secret_post', grant_types: ['client_credentials'], scope: 'mcp:tools' },
      undefined,
      insecure,
    );
    const registered = config.clientMetadata();
    expect(registered.client_secret).toBeTypeOf('string');
    expect((registered.client_secret as string).length).toBeGreaterThanOrEqual(32);
    // RFC 7592 §3: the registration response carries the management credentials.
    expect(registered.registration_access_token).toBeTypeOf('string');
    expect(registered.registration_client_uri).toMatch(new RegExp(`^${as.issuer}/`));

    const tokens = await client.clientCredentialsGrant(config, { scope: 'mcp:tools' });
    expect(decodeJwt(tokens.access_token)).toMatchObject({ client_id: registered.client_id, scope: 'mcp:tools' });

    // RFC 7592 §2.1: the client reads its registration back with its registration access token.
    const read = await fetch(registered.registration_client_uri as string, { headers: { authorization: `Bearer ${registered.registration_access_token as string}` } });
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ client_id: registered.client_id, client_name: 'Registered Service' });
  });

  it('registers a private_key_jwt client whose registered keys sign its assertions', async () => {
    const keys = await serviceClientKeys('registered-key');
    const config = await client.dynamicClientRegistration(
      new URL(as.issuer),
      {
        client_name: 'Registered JWT Service',
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        grant_types: ['client_credentials'],
        jwks: { keys: [keys.publicJwk] },
        scope: 'mcp:tools',
      },
      client.PrivateKeyJwt(keys.privateKey),
      insecure,
    );
    const tokens = await client.clientCredentialsGrant(config, { scope: 'mcp:tools' });
    expect(decodeJwt(tokens.access_token).client_id).toBe(config.clientMetadata().client_id);
  });
});
