/**
 * Shared set-up of the agent and revocation-feed tests: a real server on loopback with the
 * clients an operator would configure (static RFC 7591 metadata), users created in its storage,
 * and real access tokens issued by the server's own token issuer under real grants.
 */
import type { MandateConfigInput } from '../../src/config/config.ts';
import type { ServerContext } from '../../src/context.ts';
import { randomId } from '../../src/crypto/hash.ts';
import type { GrantRecord, UserRecord } from '../../src/storage/records.ts';
import { issueAccessToken } from '../../src/tokens/access-token.ts';
import { startTestServer, type Backend, type TestServer } from '../helpers/test-server.ts';

export const SECRETS = {
  admin: 'admin-cli-test-secret-0123456789abcdefghij',
  owner: 'owner-app-secret-0123456789abcdefghijklmnop',
  rs: 'resource-server-secret-0123456789-abcdefghijk',
  agent: 'agent-client-secret-0123456789abcdefghijklm',
  service: 'service-client-secret-0123456789abcdefghijk',
} as const;

export const MCP = 'https://mcp.example/mcp';
export const SCOPES = ['openid', 'profile', 'offline_access', 'mandate:admin', 'mandate:agents', 'mandate:account', 'mcp:read', 'mcp:write'];

export const CLIENTS: Record<string, unknown>[] = [
  { client_id: 'admin-cli', client_secret: SECRETS.admin, grant_types: ['client_credentials'], scope: 'mandate:admin' },
  { client_id: 'owner-app', client_secret: SECRETS.owner, grant_types: ['authorization_code', 'refresh_token'], redirect_uris: ['https://app.example/cb'] },
  { client_id: 'resource-server', client_secret: SECRETS.rs, token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials'], scope: 'mcp:read' },
  { client_id: 'agent-client', client_secret: SECRETS.agent, token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials'], scope: 'mcp:read mcp:write' },
  {
    client_id: 'nightly-report',
    client_secret: SECRETS.service,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    scope: 'mcp:read',
    service_identity: true,
    max_token_ttl: 120,
  },
  { client_id: 'public-app', token_endpoint_auth_method: 'none', application_type: 'native', grant_types: ['authorization_code'], redirect_uris: ['http://127.0.0.1/cb'] },
];

export interface AgentServer {
  ts: TestServer;
  ctx: ServerContext;
  issuer: string;
  alice: UserRecord;
  bob: UserRecord;
  close(): Promise<void>;
}

export async function startAgentServer(overrides: Partial<MandateConfigInput> = {}, backend: Backend = 'sqlite'): Promise<AgentServer> {
  const ts = await startTestServer({ scopesSupported: SCOPES, clients: CLIENTS, ...overrides }, backend);
  const ctx = ts.server.ctx;
  const alice = await createUser(ctx, 'alice@example.com');
  const bob = await createUser(ctx, 'bob@example.com');
  return { ts, ctx, issuer: ts.issuer, alice, bob, close: () => ts.close() };
}

export async function createUser(ctx: ServerContext, email: string): Promise<UserRecord> {
  const t = ctx.now();
  const user: UserRecord = { id: randomId('usr'), email, name: email, passwordHash: null, totpSecretEncrypted: null, isAdmin: false, disabled: false, createdAt: t, updatedAt: t };
  await ctx.storage.users.create(user);
  return user;
}

export async function createGrant(ctx: ServerContext, g: Partial<GrantRecord> & { userId: string | null }): Promise<GrantRecord> {
  const record: GrantRecord = {
    id: randomId('grt'),
    clientId: 'owner-app',
    agentId: null,
    parentGrantId: null,
    scope: 'mcp:read',
    resources: [MCP],
    authorizationDetails: null,
    consentId: null,
    createdAt: ctx.now(),
    revokedAt: null,
    revokedReason: null,
    ...g,
  };
  await ctx.storage.grants.create(record);
  return record;
}

/** A real access token under a grant (what the token endpoint issues after consent or an exchange). */
export async function grantToken(ctx: ServerContext, grant: GrantRecord, o: { audience?: string[]; ttl?: number; extraClaims?: Record<string, unknown> } = {}): Promise<{ token: string; jti: string; expiresAt: number }> {
  const issued = await issueAccessToken(ctx, {
    subject: grant.userId ?? grant.clientId,
    clientId: grant.clientId,
    userId: grant.userId,
    grantId: grant.id,
    scope: grant.scope,
    audience: o.audience ?? grant.resources,
    ...(o.ttl ? { ttl: o.ttl } : {}),
    ...(o.extraClaims ? { extraClaims: o.extraClaims } : {}),
  });
  return { token: issued.token, jti: issued.jti, expiresAt: issued.expiresAt };
}

/** A user's token for the agents API (the user consented to owner-app with mandate:agents); pass mandate:account for the self-service API. */
export async function ownerToken(ctx: ServerContext, user: UserRecord, scope = 'mandate:agents', audience: string[] = []): Promise<string> {
  return (await grantToken(ctx, await createGrant(ctx, { userId: user.id, scope, resources: audience }), { audience })).token;
}

/** The admin CLI's client_credentials token (no user, the mandate:admin scope). */
export async function adminToken(ctx: ServerContext): Promise<string> {
  const issued = await issueAccessToken(ctx, { subject: 'admin-cli', clientId: 'admin-cli', userId: null, grantId: null, scope: 'mandate:admin', audience: [] });
  return issued.token;
}

export interface JsonResult {
  status: number;
  headers: Headers;
  // Tests read arbitrary members of JSON responses.
  json: any;
}

export async function call(url: string, token: string | null, method: string, body?: unknown): Promise<JsonResult> {
  const res = await fetch(url, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
}

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** POSTs a form, optionally with HTTP Basic client authentication; JSON answer. */
export async function postForm(url: string, form: Record<string, string>, auth?: [string, string]): Promise<JsonResult> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: basic(auth[0], auth[1]) } : {}) },
    body: new URLSearchParams(form).toString(),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
}

/** RFC 7662 introspection as the resource server. */
export async function isActive(s: AgentServer, token: string): Promise<boolean> {
  const res = await postForm(`${s.issuer}/introspect`, { token }, ['resource-server', SECRETS.rs]);
  return res.json.active === true;
}
