/**
 * A real ServerContext (real storage on SQLite or PostgreSQL, real signing keys, the real client
 * registry and audit log) and a small Hono app on a loopback port whose routes call exactly what
 * the token, PAR, introspection and revocation endpoints call: authenticateClient, then
 * verifyDpopProof when a DPoP header is present. It lets the DPoP and client-authentication tests
 * speak real HTTP without depending on grant logic.
 */
import { randomBytes } from 'node:crypto';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import pino from 'pino';
import { ConfigSchema, type MandateConfigInput } from '../../src/config/config.ts';
import type { ServerContext } from '../../src/context.ts';
import { openStorage } from '../../src/storage/open.ts';
import { createServerContext } from '../../src/server.ts';
import { errorHandler } from '../../src/http/errors.ts';
import { readForm } from '../../src/http/params.ts';
import { authenticateClient, type ClientEndpoint } from '../../src/clients/authenticate.ts';
import { readDpopHeader, verifyDpopProof, currentDpopNonce } from '../../src/dpop/index.ts';
import { sha256 } from '../../src/crypto/hash.ts';
import type { ClientRecord } from '../../src/storage/records.ts';
import { isolatedDatabaseUrl, type Backend } from '../helpers/isolated-database.ts';
import { freePort } from '../helpers/test-server.ts';
import { clientRecord as baseClientRecord } from '../helpers/client-record.ts';

export interface Harness {
  ctx: ServerContext;
  issuer: string;
  /** Seconds added to the wall clock (ctx.now); tests move time with it. */
  clock: { offset: number };
  url(path: string): string;
  createClient(overrides: Partial<ClientRecord> & { clientId: string; secret?: string }): Promise<ClientRecord>;
  close(): Promise<void>;
}

export { freePort };

const ROUTES: Record<string, ClientEndpoint> = { '/token': 'token', '/par': 'par', '/introspect': 'introspection', '/revoke': 'revocation' };

export async function startHarness(overrides: Partial<MandateConfigInput> = {}, backend: Backend = 'sqlite'): Promise<Harness> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const db = isolatedDatabaseUrl(backend);
  const config = ConfigSchema.parse({
    mode: 'development',
    issuer,
    port,
    dataDir: '/tmp',
    databaseUrl: db.url,
    secretKey: randomBytes(32).toString('base64url'),
    logLevel: 'silent',
    ...overrides,
  });
  const logger = pino({ level: 'silent' });
  const clock = { offset: 0 };
  const now = (): number => Math.floor(Date.now() / 1000) + clock.offset;
  const storage = await openStorage(config.databaseUrl, { logger });
  const ctx = await createServerContext(config, storage, logger, now);

  const app = new Hono();
  app.onError(errorHandler(logger));
  for (const [path, endpoint] of Object.entries(ROUTES)) {
    app.post(path, async (c) => {
      const params = await readForm(c);
      const client = await authenticateClient(ctx, c, params, { endpoint });
      const proof = readDpopHeader(c);
      const dpop = proof === undefined ? null : await verifyDpopProof(ctx, { proof, htm: 'POST', htu: `${issuer}${path}` });
      if (dpop) c.header('DPoP-Nonce', currentDpopNonce(ctx));
      return c.json({ client_id: client.clientId, method: client.tokenEndpointAuthMethod, jkt: dpop?.jkt ?? null });
    });
  }
  // A DPoP-protected resource at this server (like /userinfo): RFC 9449 §7 with `ath`.
  app.get('/resource', async (c) => {
    const authorization = c.req.header('authorization') ?? '';
    const accessToken = authorization.replace(/^DPoP /, '');
    const { jkt } = await verifyDpopProof(ctx, { proof: readDpopHeader(c), htm: 'GET', htu: `${issuer}/resource`, accessToken });
    return c.json({ jkt });
  });

  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });

  return {
    ctx,
    issuer,
    clock,
    url: (path) => `${issuer}${path}`,
    async createClient(overrides) {
      const record = clientRecord(overrides, now());
      await storage.clients.create(record);
      return record;
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await storage.close();
      db.cleanup();
    },
  };
}

/** A complete client registration; `secret` is stored as its SHA-256 (what registration does). */
export function clientRecord({ secret, ...overrides }: Partial<ClientRecord> & { clientId: string; secret?: string }, t: number): ClientRecord {
  return baseClientRecord(
    {
      clientSecretHash: secret === undefined ? null : sha256(secret),
      redirectUris: ['https://app.example/cb'],
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
      tokenEndpointAuthMethod: secret === undefined ? 'none' : 'client_secret_basic',
      ...overrides,
    },
    t,
  );
}

/** POSTs a form with optional extra headers; `headers` may repeat a name (array values). */
export async function postForm(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}
