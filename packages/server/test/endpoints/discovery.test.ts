import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { buildDiscoveryUrls, discoverAuthorizationServerMetadata } from '@modelcontextprotocol/sdk/client/auth.js';
import { Acr, ASYMMETRIC_JWS_ALGS } from '@mandate/protocol';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import type { MandateConfigInput } from '../../src/config/config.ts';

type Metadata = Record<string, unknown>;

async function getMetadata(url: string): Promise<{ response: Response; body: Metadata }> {
  const response = await fetch(url);
  return { response, body: (await response.json()) as Metadata };
}

/** A server whose issuer has a path (MANDATE_ISSUER=https://host/tenant), on its own port and database. */
function startPathIssuerServer(path: string, overrides: Partial<MandateConfigInput> = {}): Promise<TestServer> {
  return startTestServer(overrides, 'sqlite', { issuerPath: path });
}

describe('RFC 8414 §3 and OpenID Connect Discovery 1.0 §4: metadata at every C-2 path (issuer without a path)', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer({ dcr: { policy: 'open' } });
  });
  afterAll(async () => ts.close());

  it('serves one identical JSON document at oauth-authorization-server and openid-configuration', async () => {
    const docs: Metadata[] = [];
    for (const wellKnown of ['oauth-authorization-server', 'openid-configuration']) {
      const { response, body } = await getMetadata(`${ts.issuer}/.well-known/${wellKnown}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.headers.get('cache-control')).toBe('public, max-age=300');
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      // RFC 8414 §3.3 / AS-2: the issuer is the one the client used, exactly.
      expect(body.issuer).toBe(ts.issuer);
      docs.push(body);
    }
    expect(docs[0]).toEqual(docs[1]);
  });

  it('every discovery URL the MCP SDK builds answers, and the SDK accepts the document', async () => {
    for (const { url } of buildDiscoveryUrls(ts.issuer)) expect((await fetch(url)).status, url.href).toBe(200);
    const metadata = await discoverAuthorizationServerMetadata(ts.issuer);
    expect(metadata?.issuer).toBe(ts.issuer);
    expect(metadata?.code_challenge_methods_supported).toEqual(['S256']);
  });

  it('oauth4webapi (RFC 8414 and OIDC algorithms) and openid-client v6 validate the metadata', async () => {
    const issuer = new URL(ts.issuer);
    for (const algorithm of ['oauth2', 'oidc'] as const) {
      const response = await oauth.discoveryRequest(issuer, { algorithm, [oauth.allowInsecureRequests]: true });
      await expect(oauth.processDiscoveryResponse(issuer, response)).resolves.toMatchObject({ issuer: ts.issuer });
    }
    const config = await client.discovery(issuer, 'some-client', undefined, client.None(), { execute: [client.allowInsecureRequests] });
    expect(config.serverMetadata().token_endpoint).toBe(`${ts.issuer}/token`);
  });

  it('lists every endpoint, method and capability the server has', async () => {
    const { body } = await getMetadata(`${ts.issuer}/.well-known/oauth-authorization-server`);
    const authMethods = ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'];
    expect(body).toMatchObject({
      issuer: ts.issuer,
      authorization_endpoint: `${ts.issuer}/authorize`,
      token_endpoint: `${ts.issuer}/token`,
      pushed_authorization_request_endpoint: `${ts.issuer}/par`,
      require_pushed_authorization_requests: false,
      introspection_endpoint: `${ts.issuer}/introspect`,
      revocation_endpoint: `${ts.issuer}/revoke`,
      userinfo_endpoint: `${ts.issuer}/userinfo`,
      registration_endpoint: `${ts.issuer}/register`,
      jwks_uri: `${ts.issuer}/jwks.json`,
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange', 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
      token_endpoint_auth_methods_supported: authMethods,
      token_endpoint_auth_signing_alg_values_supported: [...ASYMMETRIC_JWS_ALGS],
      revocation_endpoint_auth_methods_supported: authMethods,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      client_id_metadata_document_supported: true,
      dpop_signing_alg_values_supported: ['ES256', 'EdDSA', 'RS256', 'PS256'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
      acr_values_supported: [Acr.Password, Acr.PasswordTotp],
      authorization_details_types_supported: [],
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
    });
    for (const claim of ['sub', 'iss', 'auth_time', 'acr', 'amr', 'nonce', 'email', 'email_verified', 'name']) expect(body.claims_supported).toContain(claim);
    // Never advertised: weak or removed mechanisms (OAuth 2.1).
    expect(body.code_challenge_methods_supported).not.toContain('plain');
    expect(body.grant_types_supported).not.toContain('password');
    expect(body.grant_types_supported).not.toContain('implicit');
    for (const alg of body.token_endpoint_auth_signing_alg_values_supported as string[]) expect(alg).not.toMatch(/^(none|HS)/);
  });

  it('the advertised jwks_uri serves the keys', async () => {
    const { body } = await getMetadata(`${ts.issuer}/.well-known/openid-configuration`);
    const response = await fetch(body.jwks_uri as string);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { keys: unknown[] }).keys.length).toBeGreaterThan(0);
  });

  it('is not a catch-all: a path-suffixed well-known URL for another issuer is 404', async () => {
    expect((await fetch(`${ts.issuer}/.well-known/oauth-authorization-server/other`)).status).toBe(404);
    expect((await fetch(`${ts.issuer}/other/.well-known/openid-configuration`)).status).toBe(404);
  });
});

describe('RFC 8414 §3.1 / OIDC Discovery §4.1: issuer with a path (C-2)', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startPathIssuerServer('/tenant');
  });
  afterAll(async () => ts.close());

  it('serves the document at the three C-2 locations, with the full issuer (path included)', async () => {
    const origin = new URL(ts.issuer).origin;
    const urls = [`${origin}/.well-known/oauth-authorization-server/tenant`, `${origin}/.well-known/openid-configuration/tenant`, `${origin}/tenant/.well-known/openid-configuration`];
    for (const url of urls) {
      const { response, body } = await getMetadata(url);
      expect(response.status, url).toBe(200);
      expect(body.issuer).toBe(ts.issuer);
    }
    // Root locations belong to an issuer without a path: not this one.
    for (const url of [`${origin}/.well-known/oauth-authorization-server`, `${origin}/.well-known/openid-configuration`]) {
      expect((await fetch(url)).status, url).toBe(404);
    }
  });

  it('every discovery URL the MCP SDK builds answers; oauth4webapi accepts both forms', async () => {
    for (const { url } of buildDiscoveryUrls(ts.issuer)) expect((await fetch(url)).status, url.href).toBe(200);
    await expect(discoverAuthorizationServerMetadata(ts.issuer)).resolves.toMatchObject({ issuer: ts.issuer });
    const issuer = new URL(ts.issuer);
    for (const algorithm of ['oauth2', 'oidc'] as const) {
      const response = await oauth.discoveryRequest(issuer, { algorithm, [oauth.allowInsecureRequests]: true });
      await expect(oauth.processDiscoveryResponse(issuer, response)).resolves.toMatchObject({ issuer: ts.issuer });
    }
  });

  it('endpoint URLs are issuer + path, and they are served there', async () => {
    const { body } = await getMetadata(`${ts.issuer}/.well-known/openid-configuration`);
    expect(body.token_endpoint).toBe(`${ts.issuer}/token`);
    expect(body.jwks_uri).toBe(`${ts.issuer}/jwks.json`);
    const jwks = await fetch(body.jwks_uri as string);
    expect(jwks.status).toBe(200);
    // A token request reaches the token endpoint under the path (an OAuth error, not a 404).
    const token = await fetch(body.token_endpoint as string, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=password' });
    expect(token.status).not.toBe(404);
    expect(((await token.json()) as { error: string }).error).toMatch(/^(invalid_client|unsupported_grant_type|invalid_request)$/);
  });
});

describe('RFC 8414 §2 metadata follows the configuration', () => {
  it('registration_endpoint only when dynamic registration is on; CIMD, scopes, RAR types, DPoP algs as configured', async () => {
    const ts = await startTestServer({
      dcr: { policy: 'off' },
      cimd: { enabled: false },
      scopesSupported: ['openid', 'files:read'],
      authorizationDetailsTypes: [{ type: 'payment_initiation' }],
      dpop: { algs: ['ES256'] },
      signingAlg: 'RS256',
    });
    try {
      const { body } = await getMetadata(`${ts.issuer}/.well-known/oauth-authorization-server`);
      expect(body).not.toHaveProperty('registration_endpoint');
      expect(body).toMatchObject({
        client_id_metadata_document_supported: false,
        scopes_supported: ['openid', 'files:read'],
        authorization_details_types_supported: ['payment_initiation'],
        dpop_signing_alg_values_supported: ['ES256'],
        id_token_signing_alg_values_supported: ['RS256'],
      });
    } finally {
      await ts.close();
    }
  });
});
