/**
 * A SCIM test server: a real Mandate server on loopback with the identity provider's client
 * registered for client_credentials with the mandate:scim scope, and the calls an identity
 * provider makes — with a token obtained from the real token endpoint.
 */
import type { MandateConfigInput } from '../../src/config/config.ts';
import { issueAccessToken } from '../../src/tokens/access-token.ts';
import { startTestServer, type Backend, type TestServer } from '../helpers/test-server.ts';

export const IDP = { id: 'corp-idp', secret: 'corp-idp-scim-secret-0123456789abcdefghij' };
export const RS = { id: 'resource-server', secret: 'resource-server-secret-0123456789-abcdefghijk' };
export const ADMIN_CLI = { id: 'admin-cli', secret: 'admin-cli-test-secret-0123456789abcdefghij' };
export const SCIM_TYPE = 'application/scim+json';

export async function startScimServer(overrides: Partial<MandateConfigInput> = {}, backend: Backend = 'sqlite'): Promise<TestServer> {
  return startTestServer(
    {
      scopesSupported: ['openid', 'profile', 'offline_access', 'mandate:admin', 'mandate:scim', 'mcp:read'],
      clients: [
        { client_id: IDP.id, client_secret: IDP.secret, grant_types: ['client_credentials'], scope: 'mandate:scim', client_name: 'Corporate IdP' },
        { client_id: ADMIN_CLI.id, client_secret: ADMIN_CLI.secret, grant_types: ['client_credentials'], scope: 'mandate:admin' },
        { client_id: RS.id, client_secret: RS.secret, token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials'], scope: 'mcp:read' },
        { client_id: 'owner-app', client_secret: 'owner-app-secret-0123456789abcdefghijklmnop', grant_types: ['authorization_code', 'refresh_token'], redirect_uris: ['https://app.example/cb'] },
      ],
      ...overrides,
    },
    backend,
  );
}

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** client_credentials at the real token endpoint. */
export async function clientToken(s: TestServer, client: { id: string; secret: string }, scope: string, resource?: string): Promise<string> {
  const res = await fetch(`${s.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client.id, client.secret) },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope, ...(resource ? { resource } : {}) }).toString(),
  });
  const json = (await res.json()) as { access_token?: string };
  if (res.status !== 200 || !json.access_token) throw new Error(`token endpoint: ${res.status} ${JSON.stringify(json)}`);
  return json.access_token;
}

/** A token minted by the server's own issuer (for principals no configured client stands for). */
export async function mintToken(s: TestServer, o: { clientId: string; userId?: string | null; scope: string }): Promise<string> {
  const issued = await issueAccessToken(s.server.ctx, { subject: o.userId ?? o.clientId, clientId: o.clientId, userId: o.userId ?? null, grantId: null, scope: o.scope, audience: [] });
  return issued.token;
}

export interface ScimResult {
  status: number;
  headers: Headers;
  // Tests read arbitrary members of SCIM responses.
  json: any;
}

export async function scim(s: TestServer, token: string | null, method: string, path: string, body?: unknown, contentType = SCIM_TYPE): Promise<ScimResult> {
  const res = await fetch(`${s.issuer}/scim/v2${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': contentType } : {}) },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
}

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

export function newUser(userName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { schemas: [USER_SCHEMA], userName, name: { givenName: 'Test', familyName: 'User' }, ...extra };
}

export function patchOps(...Operations: unknown[]): Record<string, unknown> {
  return { schemas: [PATCH_OP], Operations };
}

/** Whether the resource server, introspecting (RFC 7662 §2), is told the token is active. */
export async function introspectsActive(s: TestServer, accessToken: string): Promise<boolean> {
  const res = await fetch(`${s.issuer}/introspect`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${RS.id}:${RS.secret}`).toString('base64')}` },
    body: new URLSearchParams({ token: accessToken }).toString(),
  });
  return ((await res.json()) as { active: boolean }).active;
}
