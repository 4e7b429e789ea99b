/**
 * The MCP TypeScript SDK client (`auth()` behind StreamableHTTPClientTransport, with an
 * OAuthClientProvider) against a protected MCP server that trusts Mandate, registering itself
 * through Dynamic Client Registration (RFC 7591; AS-7, C-3 when no CIMD URL is offered).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { decodeJwt } from 'jose';
import { INTEROP_SCOPES } from '../src/clients.ts';
import { connectAuthorized, connectWithOAuth, whoami } from '../src/mcp/connect-with-oauth.ts';
import { InMemoryOAuthProvider } from '../src/mcp/oauth-provider.ts';
import { MCP_SCOPE, startProtectedMcpServer, type ProtectedMcpServer } from '../src/mcp/protected-mcp-server.ts';
import { createUser, startAuthorizationServer, type TestServer } from '../src/server.ts';

let as: TestServer;
let mcp: ProtectedMcpServer;

beforeAll(async () => {
  as = await startAuthorizationServer({ scopesSupported: INTEROP_SCOPES, dcr: { policy: 'open' } });
  mcp = await startProtectedMcpServer(as.issuer);
});
afterAll(async () => {
  await mcp?.close();
  await as?.close();
});

function provider(): InMemoryOAuthProvider {
  return new InMemoryOAuthProvider({ redirectUrl: 'http://127.0.0.1:53687/callback', clientName: 'Interop MCP Host (DCR)' });
}

describe('MCP SDK auth(): RFC 9728 discovery, RFC 7591 registration, code flow, tool call', () => {
  it('registers, authorizes headlessly, and calls the tool with a token for exactly this MCP server', async () => {
    const host = provider();
    const user = await createUser(as.server.ctx);
    const session = await connectWithOAuth(mcp.url, host, user, as.issuer);
    try {
      // Discovery went through the challenge's resource_metadata URL (C-1), then the AS metadata.
      expect(mcp.log).toContain('POST /mcp 401');
      expect(mcp.log).toContain('GET /.well-known/oauth-protected-resource/mcp 200');

      const registered = host.savedClient!;
      expect(registered.client_id).not.toMatch(/^https?:/);
      expect(session.consent?.clientName).toBe('Interop MCP Host (DCR)');
      expect(session.consent?.redirectHost).toContain('127.0.0.1');

      const authorizationUrl = host.authorizationUrl!;
      expect(authorizationUrl.searchParams.get('resource')).toBe(mcp.url.href); // C-5
      expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256'); // C-4

      const claims = decodeJwt(host.savedTokens!.access_token);
      expect(claims.aud).toBe(mcp.url.href);
      expect(await whoami(session.client)).toEqual({ sub: user.id, client_id: registered.client_id, scope: MCP_SCOPE });
    } finally {
      await session.close();
    }
  });

  it('refreshes through auth() with the rotated refresh token and keeps calling the tool', async () => {
    const host = provider();
    const user = await createUser(as.server.ctx);
    const session = await connectWithOAuth(mcp.url, host, user, as.issuer);
    await session.close();
    const before = host.savedTokens!;
    expect(before.refresh_token).toBeTypeOf('string');

    expect(await auth(host, { serverUrl: mcp.url })).toBe('AUTHORIZED');
    expect(host.savedTokens!.refresh_token).toBeTypeOf('string');
    expect(host.savedTokens!.refresh_token).not.toBe(before.refresh_token);
    expect(host.savedTokens!.access_token).not.toBe(before.access_token);

    const again = await connectAuthorized(mcp.url, host);
    try {
      expect((await whoami(again)).sub).toBe(user.id);
    } finally {
      await again.close();
    }
  });
});

describe('Protected MCP server TOK-2: tokens for another audience are refused', () => {
  it('answers 401 invalid_token with the resource_metadata challenge', async () => {
    const other = await startProtectedMcpServer(as.issuer);
    try {
      const host = provider();
      const session = await connectWithOAuth(other.url, host, await createUser(as.server.ctx), as.issuer);
      await session.close();
      const res = await fetch(mcp.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${host.savedTokens!.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain(`resource_metadata="${mcp.resourceMetadataUrl}"`);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    } finally {
      await other.close();
    }
  });
});
