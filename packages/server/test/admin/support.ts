/**
 * An admin-API test server: the demo admin CLI client registered statically with the admin
 * scope, and helpers that mint access tokens with the server's own keys through the real
 * token issuer (tokens/access-token.ts), or request them from the real token endpoint.
 */
import { afterAll, beforeAll } from 'vitest';
import type { MandateConfigInput } from '../../src/config/config.ts';
import type { ServerContext } from '../../src/context.ts';
import { issueAccessToken } from '../../src/tokens/access-token.ts';
import { startTestServer, type Backend, type TestServer } from '../helpers/test-server.ts';

export const ADMIN_CLI = { id: 'admin-cli', secret: 'admin-cli-test-secret-0123456789abcdefghij' };
export const PLAIN_SERVICE = { id: 'plain-service', secret: 'plain-service-secret-0123456789abcdefghij' };

export async function startAdminServer(overrides: Partial<MandateConfigInput> = {}, backend: Backend = 'sqlite'): Promise<TestServer> {
  return startTestServer(
    {
    scopesSupported: ['openid', 'profile', 'email', 'offline_access', 'mandate:admin', 'reports:read'],
    clients: [
      { client_id: ADMIN_CLI.id, client_secret: ADMIN_CLI.secret, grant_types: ['client_credentials'], scope: 'mandate:admin', client_name: 'Admin CLI' },
      { client_id: PLAIN_SERVICE.id, client_secret: PLAIN_SERVICE.secret, grant_types: ['client_credentials'], scope: 'reports:read', client_name: 'Plain service' },
    ],
      ...overrides,
    },
    backend,
  );
}

export interface MintOptions {
  clientId?: string;
  userId?: string | null;
  scope?: string;
  audience?: string[];
  ttl?: number;
}

/** A real Mandate access token (signed, recorded by jti), as the token endpoint would issue it. */
export async function mintToken(s: TestServer, o: MintOptions = {}): Promise<{ token: string; jti: string }> {
  const ctx = s.server.ctx;
  const clientId = o.clientId ?? ADMIN_CLI.id;
  const userId = o.userId ?? null;
  const issued = await issueAccessToken(ctx, {
    subject: userId ?? clientId,
    clientId,
    userId,
    grantId: null,
    scope: o.scope ?? 'mandate:admin',
    audience: o.audience ?? [],
    ...(o.ttl ? { ttl: o.ttl } : {}),
  });
  return { token: issued.token, jti: issued.jti };
}

/** JSON call to the admin API. */
export async function admin(s: TestServer, token: string | null, method: string, path: string, body?: unknown): Promise<{ status: number; headers: Headers; json: any }> {
  const res = await fetch(`${s.issuer}/admin/v1${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
}

/** An admin test server of one test file, with an admin token minted once it is up (useAdminApi). */
export interface AdminApi {
  readonly server: TestServer;
  readonly ctx: ServerContext;
  readonly issuer: string;
  /** An access token of the admin CLI with the mandate:admin scope. */
  readonly token: string;
  /** JSON call to the admin API with `token`. */
  call(method: string, path: string, body?: unknown): ReturnType<typeof admin>;
}

/** beforeAll/afterAll: starts an admin server, mints its admin token, closes it after the file. */
export function useAdminApi(overrides: Partial<MandateConfigInput> = {}, backend: Backend = 'sqlite'): AdminApi {
  let started: { server: TestServer; token: string } | undefined;
  beforeAll(async () => {
    const server = await startAdminServer(overrides, backend);
    started = { server, token: (await mintToken(server)).token };
  });
  afterAll(() => started?.server.close());
  // Read only inside tests, after beforeAll has run.
  const ready = (): { server: TestServer; token: string } => {
    if (!started) throw new Error('useAdminApi: the admin server starts in beforeAll; use it inside a test.');
    return started;
  };
  return {
    get server() { return ready().server; },
    get ctx() { return ready().server.server.ctx; },
    get issuer() { return ready().server.issuer; },
    get token() { return ready().token; },
    call: (method, path, body) => admin(ready().server, ready().token, method, path, body),
  };
}
