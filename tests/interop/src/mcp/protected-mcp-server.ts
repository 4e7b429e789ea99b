/**
 * A minimal protected MCP server (resource server) in front of the MCP SDK's McpServer:
 *
 * - RFC 9728 protected-resource metadata at the path-inserted well-known URL (PRM-1, PRM-2),
 *   naming our authorization server;
 * - 401 with `WWW-Authenticate: Bearer resource_metadata="…"` when no valid token comes (ERR-1),
 *   403 insufficient_scope when the scope is missing (STEP-1);
 * - tokens checked with jose against the authorization server's JWKS: RFC 9068 typ, iss, exp and
 *   the exact audience — this server's own resource URL (TOK-2; the SDK's bearer middleware does
 *   not check audience, so this one must);
 * - one tool, `whoami`, answering with the token's subject and client, over Streamable HTTP.
 */
import { Hono } from 'hono';
import { serve, type ServerType } from '@hono/node-server';
import { closeServer } from '../close-server.ts';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';

export const MCP_SCOPE = 'mcp:tools';

export interface ProtectedMcpServer {
  /** The MCP endpoint, which is also the resource indicator (no trailing slash, C-5). */
  url: URL;
  resourceMetadataUrl: string;
  /** What the server saw: `METHOD path status`, for assertions on the discovery sequence. */
  log: string[];
  close(): Promise<void>;
}

function mcpServerFor(claims: JWTPayload): McpServer {
  const server = new McpServer({ name: 'mandate-interop-mcp', version: '1.0.0' });
  server.registerTool('whoami', { description: 'Tells who the access token speaks for.' }, async () => ({
    content: [{ type: 'text', text: JSON.stringify({ sub: claims.sub, client_id: claims.client_id, scope: claims.scope }) }],
  }));
  return server;
}

function challenge(resourceMetadataUrl: string, error?: { code: string; description: string }): string {
  const parts = [`resource_metadata="${resourceMetadataUrl}"`, `scope="${MCP_SCOPE}"`];
  if (error) parts.unshift(`error="${error.code}"`, `error_description="${error.description.replace(/["\\]/g, '')}"`);
  return `Bearer ${parts.join(', ')}`;
}

export async function startProtectedMcpServer(issuer: string): Promise<ProtectedMcpServer> {
  const meta = (await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json()) as { jwks_uri: string };
  const jwks = createRemoteJWKSet(new URL(meta.jwks_uri));
  const log: string[] = [];
  let origin = '';
  const resource = () => `${origin}/mcp`;
  const resourceMetadataUrl = () => `${origin}/.well-known/oauth-protected-resource/mcp`;

  const app = new Hono();
  app.use('*', async (c, next) => {
    await next();
    log.push(`${c.req.method} ${c.req.path} ${c.res.status}`);
  });
  app.get('/.well-known/oauth-protected-resource/mcp', (c) =>
    c.json({ resource: resource(), authorization_servers: [issuer], scopes_supported: [MCP_SCOPE], bearer_methods_supported: ['header'] }),
  );
  app.all('/mcp', async (c) => {
    const header = c.req.header('authorization') ?? '';
    const token = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header)?.[1];
    if (!token) return c.json({ error: 'unauthorized' }, 401, { 'WWW-Authenticate': challenge(resourceMetadataUrl()) });
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, jwks, { issuer, audience: resource(), typ: 'at+jwt', algorithms: ['ES256', 'EdDSA', 'RS256'] }));
      // RFC 9449 §7.1: a DPoP-bound token is never accepted as a bearer token.
      if (claims.cnf !== undefined) throw new Error('a DPoP-bound token was presented as a bearer token');
    } catch (err) {
      const description = (err as Error).message;
      return c.json({ error: 'invalid_token', error_description: description }, 401, { 'WWW-Authenticate': challenge(resourceMetadataUrl(), { code: 'invalid_token', description }) });
    }
    if (!String(claims.scope ?? '').split(' ').includes(MCP_SCOPE)) {
      const description = `the ${MCP_SCOPE} scope is required`;
      return c.json({ error: 'insufficient_scope' }, 403, { 'WWW-Authenticate': challenge(resourceMetadataUrl(), { code: 'insufficient_scope', description }) });
    }
    // Stateless Streamable HTTP: a fresh server and transport per request.
    const transport = new WebStandardStreamableHTTPServerTransport();
    await mcpServerFor(claims).connect(transport);
    return transport.handleRequest(c.req.raw);
  });

  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
      origin = `http://127.0.0.1:${info.port}`;
      resolve(s);
    });
  });
  return {
    url: new URL(resource()),
    resourceMetadataUrl: resourceMetadataUrl(),
    log,
    close: () => closeServer(server),
  };
}
