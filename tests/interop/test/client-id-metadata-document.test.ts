/**
 * The MCP TypeScript SDK client identified by a Client ID Metadata Document (SEP-991, AS-6,
 * C-3: CIMD comes before DCR when the server advertises it). The document is served over https on
 * 127.0.0.1 — the SDK accepts only https clientMetadataUrls — under the server's test-only
 * development allowance (cimd.devAllowedHosts) that lets it fetch from a loopback address. DCR is
 * off, so only CIMD can succeed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { INTEROP_SCOPES, serviceClientKeys } from '../src/clients.ts';
import { startDocumentHost, type DocumentHost } from '../src/cimd/document-host.ts';
import { selfSignedLoopbackCertificate, type SelfSignedCertificate } from '../src/cimd/self-signed.ts';
import { spawnAuthorizationServer, type ChildAuthorizationServer } from '../src/cimd/spawn-authorization-server.ts';
import { connectWithOAuth, whoami } from '../src/mcp/connect-with-oauth.ts';
import { InMemoryOAuthProvider } from '../src/mcp/oauth-provider.ts';
import { MCP_SCOPE, startProtectedMcpServer, type ProtectedMcpServer } from '../src/mcp/protected-mcp-server.ts';

const REDIRECT = 'http://127.0.0.1:53688/callback';

let tls: SelfSignedCertificate;
let host: DocumentHost;
let as: ChildAuthorizationServer;
let mcp: ProtectedMcpServer;

beforeAll(async () => {
  tls = selfSignedLoopbackCertificate();
  host = await startDocumentHost(tls);
  as = await spawnAuthorizationServer(
    // The operator lets self-registered clients use client_credentials for the MCP scope only (grants/client-credentials/self-registered.ts).
    { scopesSupported: INTEROP_SCOPES, dcr: { policy: 'off' }, cimd: { devAllowedHosts: [host.hostPort] }, selfRegisteredClients: { clientCredentialsScopes: [MCP_SCOPE] } },
    { NODE_EXTRA_CA_CERTS: tls.certPath },
  );
  mcp = await startProtectedMcpServer(as.issuer);
});
afterAll(async () => {
  await mcp?.close();
  await as?.close();
  await host?.close();
  tls?.cleanup();
});

describe('MCP SDK auth() with a Client ID Metadata Document (draft-ietf-oauth-client-id-metadata-document)', () => {
  it('uses the document URL as client_id, and the server fetches the document and shows its client', async () => {
    const clientId = host.publish('/clients/interop-mcp-host.json', {
      client_id: `${host.origin}/clients/interop-mcp-host.json`,
      client_name: 'Interop MCP Host (CIMD)',
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    });
    const provider = new InMemoryOAuthProvider({ redirectUrl: REDIRECT, clientName: 'Interop MCP Host (CIMD)', clientMetadataUrl: clientId });

    const session = await connectWithOAuth(mcp.url, provider, as.user, as.issuer);
    try {
      expect(provider.savedClient?.client_id).toBe(clientId);
      expect(provider.authorizationUrl?.searchParams.get('client_id')).toBe(clientId);
      expect(host.fetched).toContain('/clients/interop-mcp-host.json');
      // AS-6: the consent page names the client from the document and shows where it comes from.
      expect(session.consent?.clientName).toBe('Interop MCP Host (CIMD)');
      expect(session.consent?.clientIdHost).toBe(host.hostPort);
      expect(session.consent?.redirectHost).toContain('127.0.0.1');

      expect(decodeJwt(provider.savedTokens!.access_token)).toMatchObject({ client_id: clientId, aud: mcp.url.href });
      expect(await whoami(session.client)).toEqual({ sub: as.user.id, client_id: clientId, scope: MCP_SCOPE });
    } finally {
      await session.close();
    }
  });
});

describe('Client ID Metadata Document client with private_key_jwt for client_credentials (AS-6, CL-6)', () => {
  it('lets openid-client authenticate with the keys the document publishes', async () => {
    const keys = await serviceClientKeys('cimd-service-key');
    const clientId = host.publish('/clients/interop-agent.json', {
      client_id: `${host.origin}/clients/interop-agent.json`,
      client_name: 'Interop Agent (CIMD)',
      // AS-6: every document lists redirect_uris; a machine-only client lists none.
      redirect_uris: [],
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [keys.publicJwk] },
      scope: MCP_SCOPE,
    });
    const config = await client.discovery(new URL(as.issuer), clientId, undefined, client.PrivateKeyJwt(keys.privateKey), { execute: [client.allowInsecureRequests] });
    const tokens = await client.clientCredentialsGrant(config, { scope: MCP_SCOPE, resource: mcp.url.href });
    expect(decodeJwt(tokens.access_token)).toMatchObject({ sub: clientId, client_id: clientId, aud: mcp.url.href, scope: MCP_SCOPE });
  });
});
