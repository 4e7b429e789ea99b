/**
 * The MCP SDK's machine-to-machine providers (client/auth-extensions): ClientCredentialsProvider
 * (client_secret_basic) and PrivateKeyJwtProvider (RFC 7523 assertions built by the SDK), each
 * getting a client_credentials token for the protected MCP server through `auth()` and calling
 * its tool — no user, no browser.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK } from 'jose';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ClientCredentialsProvider, PrivateKeyJwtProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { INTEROP_SCOPES, serviceClient, serviceClientKeys, type ServiceClientKeys } from '../src/clients.ts';
import { whoami } from '../src/mcp/connect-with-oauth.ts';
import { MCP_SCOPE, startProtectedMcpServer, type ProtectedMcpServer } from '../src/mcp/protected-mcp-server.ts';
import { startAuthorizationServer, type TestServer } from '../src/server.ts';

const SECRET = 'interop-machine-secret-0123456789abcdefghijklmn';
let as: TestServer;
let mcp: ProtectedMcpServer;
let keys: ServiceClientKeys;

beforeAll(async () => {
  keys = await serviceClientKeys();
  as = await startAuthorizationServer({
    scopesSupported: INTEROP_SCOPES,
    clients: [
      serviceClient(keys),
      { client_id: 'interop-machine', client_secret: SECRET, client_name: 'Interop Machine', token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials'], scope: MCP_SCOPE },
    ],
  });
  mcp = await startProtectedMcpServer(as.issuer);
});
afterAll(async () => {
  await mcp?.close();
  await as?.close();
});

async function callAs(provider: OAuthClientProvider) {
  const client = new Client({ name: 'mandate-interop-agent', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(mcp.url, { authProvider: provider }));
  try {
    return await whoami(client);
  } finally {
    await client.close();
  }
}

describe('MCP SDK ClientCredentialsProvider: client_credentials with client_secret_basic (RFC 6749 §4.4)', () => {
  it('gets a token for the MCP server and calls the tool as the client', async () => {
    const provider = new ClientCredentialsProvider({ clientId: 'interop-machine', clientSecret: SECRET, expectedIssuer: as.issuer });
    expect(await callAs(provider)).toEqual({ sub: 'interop-machine', client_id: 'interop-machine', scope: MCP_SCOPE });
  });
});

describe('MCP SDK PrivateKeyJwtProvider: client_credentials with private_key_jwt (RFC 7523 §2.2)', () => {
  it('authenticates with the SDK-built assertion and calls the tool as the client', async () => {
    const provider = new PrivateKeyJwtProvider({
      clientId: 'interop-service',
      privateKey: { ...(await exportJWK(keys.privateKey)), kid: keys.publicJwk.kid },
      algorithm: 'ES256',
      expectedIssuer: as.issuer,
    });
    expect(await callAs(provider)).toEqual({ sub: 'interop-service', client_id: 'interop-service', scope: MCP_SCOPE });
  });
});
