/**
 * Test set-up: a REAL Mandate authorization server (startTokenServer) issuing real tokens, and
 * protected MCP servers built with @mandate/mcp on loopback, through each adapter.
 */
import { createServer, type Server } from 'node:http';
import express from 'express';
import { Hono } from 'hono';
import { createAdaptorServer } from '@hono/node-server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startTokenServer, createCode, exchangeCode, postForm, type TokenServer, SECRET } from '../../../server/test/token/fixtures.ts';
import { freePort } from '../../../server/test/helpers/test-server.ts';
import { hrTools } from './tools.ts';
import { createMandateMcp, expressMcp, honoMcp, nodeMcpListener, type MandateMcp, type MandateMcpOptions, type ToolAuditEvent } from '../../src/index.ts';

export { hrTools };

export { proofKey, signProof, postForm, type ProofKey } from '../../../server/test/token/fixtures.ts';

export const MACHINE = { id: 'hr-agent', secret: 'hr-agent-secret-0123456789-abcdefghijklmnop' };
/** The same rights, with client_secret_basic (what the MCP SDK's ClientCredentialsProvider uses). */
export const SDK_CLIENT = { id: 'hr-sdk', secret: 'hr-sdk-secret-0123456789-abcdefghijklmnopqr' };
export const RS_CLIENT = { id: 'resource-server', secret: SECRET.rs };
export const HR_SCOPES = ['hr:read', 'hr:write', 'hr:admin', 'reports:read'];

export async function startAs(): Promise<TokenServer> {
  const { CLIENTS, SCOPES } = await import('../../../server/test/token/fixtures.ts');
  return startTokenServer({
    scopesSupported: [...SCOPES, ...HR_SCOPES],
    clients: [
      ...CLIENTS,
      {
        client_id: MACHINE.id,
        client_secret: MACHINE.secret,
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['client_credentials'],
        scope: HR_SCOPES.join(' '),
      },
      {
        client_id: SDK_CLIENT.id,
        client_secret: SDK_CLIENT.secret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        scope: HR_SCOPES.join(' '),
      },
    ],
  });
}

/** A client_credentials token from the AS for `resource` (RFC 8707), optionally DPoP-bound. */
export async function machineToken(as: TokenServer, scope: string, resource: string, dpop?: string): Promise<string> {
  const res = await postForm(as.tokenUrl, { grant_type: 'client_credentials', client_id: MACHINE.id, client_secret: MACHINE.secret, scope, resource }, dpop ? { dpop } : {});
  if (res.status !== 200) throw new Error(`token request failed: ${JSON.stringify(res.body)}`);
  return String(res.body.access_token);
}

/** An authorization-code token for alice (acr urn:mandate:acr:mfa, auth_time 5 s ago). */
export async function userToken(as: TokenServer, scope: string, resource: string): Promise<string> {
  const issued = await createCode(as.ctx, { clientId: 'web-app', userId: as.alice.id, scope, resources: [resource] });
  const res = await exchangeCode(as, issued, { resource });
  if (res.status !== 200) throw new Error(`code exchange failed: ${JSON.stringify(res.body)}`);
  return String(res.body.access_token);
}

export type Adapter = 'node' | 'express' | 'hono';

export interface RunningMcp {
  mcp: MandateMcp;
  url: string;
  origin: string;
  audit: ToolAuditEvent[];
  close(): Promise<void>;
}

/** Starts a protected MCP server on a free loopback port through the chosen adapter. */
export async function startMcp(as: TokenServer, adapter: Adapter, options: Partial<MandateMcpOptions> = {}): Promise<RunningMcp> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const audit: ToolAuditEvent[] = [];
  const mcp = createMandateMcp({
    resource: `${origin}/mcp`,
    issuer: as.issuer,
    serverInfo: { name: 'hr-test', version: '1.0.0' },
    tools: hrTools(),
    scopeHierarchy: { 'hr:admin': ['hr:write'], 'hr:write': ['hr:read'] },
    hooks: { audit: { record: (e) => audit.push(e) } },
    ...options,
  });
  let server: Server;
  if (adapter === 'node') server = createServer(nodeMcpListener(mcp));
  else if (adapter === 'express') {
    const app = express();
    app.use(expressMcp(mcp));
    server = createServer(app);
  } else {
    const app = honoMcp(new Hono(), mcp);
    server = createAdaptorServer({ fetch: app.fetch }) as Server;
  }
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    mcp,
    url: `${origin}/mcp`,
    origin,
    audit,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** The MCP SDK client over Streamable HTTP, with a fixed Authorization header. */
export async function sdkClient(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'mandate-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

/** One raw JSON-RPC POST, for asserting statuses and challenges exactly. */
export async function rpc(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

export const INITIALIZE = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } };
export const callTool = (name: string, args: Record<string, unknown> = {}, id = 2) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
export const LIST_TOOLS = { jsonrpc: '2.0', id: 3, method: 'tools/list', params: {} };
