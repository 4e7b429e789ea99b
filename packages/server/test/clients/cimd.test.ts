import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import pino from 'pino';
import { InvalidClientError } from '@mandate/protocol';
import { ConfigSchema, type MandateConfigInput } from '../../src/config/config.ts';
import type { ClientRegistry } from '../../src/context.ts';
import { createClientRegistry } from '../../src/clients/registry.ts';
import { CACHE_FLOOR_SECONDS } from '../../src/clients/cimd/cache-policy.ts';
import { CIMD_FLAG, LOOPBACK_ONLY_FLAG } from '../../src/clients/cimd/document.ts';
import { openStorage } from '../../src/storage/open.ts';
import type { Storage } from '../../src/storage/storage.ts';
import { isolatedDatabaseUrl } from '../helpers/isolated-database.ts';
import { startTestServer } from '../helpers/test-server.ts';
import { startDocumentServer, type DocumentServer } from './support/document-server.ts';

let docs: DocumentServer;
let storage: Storage;
let cleanup: () => void;
let clock: number;

beforeAll(async () => {
  docs = await startDocumentServer();
  const db = isolatedDatabaseUrl('sqlite');
  cleanup = db.cleanup;
  storage = await openStorage(db.url);
  await storage.migrate();
});

afterAll(async () => {
  await storage.close();
  cleanup();
  await docs.close();
});

beforeEach(() => {
  clock = 1_800_000_000;
});

function registry(cimd: MandateConfigInput['cimd'] = {}): ClientRegistry {
  const config = ConfigSchema.parse({
    mode: 'development',
    issuer: 'http://127.0.0.1:1',
    port: 0,
    dataDir: tmpdir(),
    databaseUrl: ':memory:',
    secretKey: randomBytes(32).toString('base64url'),
    scopesSupported: ['openid', 'profile', 'mandate:admin', 'mcp:tools'],
    cimd: { devAllowedHosts: [docs.hostPort], timeoutMs: 1000, ...cimd },
  });
  return createClientRegistry({ config, storage, logger: pino({ level: 'silent' }), now: () => clock });
}

let counter = 0;
/** A fresh document path per test, so caches never leak between tests. */
function docPath(): { path: string; url: string } {
  counter += 1;
  const path = `/clients/c${counter}.json`;
  return { path, url: `${docs.origin}${path}` };
}

function document(url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { client_id: url, client_name: 'Test MCP Client', redirect_uris: ['http://127.0.0.1/callback'], ...extra };
}

async function refusal(reg: ClientRegistry, clientId: string): Promise<InvalidClientError> {
  const err = await reg.get(clientId).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidClientError);
  return err as InvalidClientError;
}

describe('AS-6 / CIMD draft §4 resolving a URL client_id', () => {
  it('builds a public CIMD client from a valid document', async () => {
    const { path, url } = docPath();
    docs.json(path, document(url, { logo_uri: 'https://cdn.example.com/logo.png', client_uri: 'https://tool.example.com' }));
    const client = await registry().get(url);
    expect(client).toMatchObject({
      clientId: url,
      source: 'cimd',
      clientName: 'Test MCP Client',
      tokenEndpointAuthMethod: 'none',
      grantTypes: ['authorization_code'],
      redirectUris: ['http://127.0.0.1/callback'],
      applicationType: 'native',
      clientSecretHash: null,
      scope: 'openid profile mcp:tools',
    });
    expect(client?.metadata).toMatchObject({ logo_uri: 'https://cdn.example.com/logo.png', client_uri: 'https://tool.example.com', [CIMD_FLAG]: true, [LOOPBACK_ONLY_FLAG]: true });
    expect(await storage.clients.get(url)).toBeNull(); // never written to the clients table
  });

  it('does not flag documents with non-loopback redirect URIs', async () => {
    const { path, url } = docPath();
    docs.json(path, document(url, { redirect_uris: ['https://tool.example.com/cb'], application_type: 'web' }));
    const client = await registry().get(url);
    expect(client?.metadata[LOOPBACK_ONLY_FLAG]).toBeUndefined();
  });

  it('supports private_key_jwt with jwks_uri and the client_credentials grant (CL-6)', async () => {
    const { path, url } = docPath();
    docs.json(path, document(url, { redirect_uris: [], grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks_uri: `${docs.origin}/jwks.json` }));
    const client = await registry().get(url);
    expect(client).toMatchObject({ tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: `${docs.origin}/jwks.json`, grantTypes: ['client_credentials'] });
  });

  it('returns null for unknown non-URL client ids without fetching', async () => {
    expect(await registry().get('no-such-client')).toBeNull();
  });

  it('prefers a stored client with the same id over the document (MCP C-3)', async () => {
    const { path, url } = docPath();
    docs.json(path, document(url));
    await storage.clients.create({
      clientId: url, clientSecretHash: null, clientSecretExpiresAt: 0, clientName: 'Stored', redirectUris: ['https://x.example/cb'], grantTypes: ['authorization_code'],
      responseTypes: ['code'], tokenEndpointAuthMethod: 'none', jwks: null, jwksUri: null, scope: '', applicationType: 'web', softwareId: null, softwareVersion: null,
      requirePar: false, dpopBoundAccessTokens: false, registrationAccessTokenHash: null, source: 'admin', metadata: {}, createdAt: clock, updatedAt: clock,
    });
    expect((await registry().get(url))?.clientName).toBe('Stored');
    expect(docs.hits(path)).toBe(0);
  });

  it.each([
    ['client_id mismatch', (url: string) => document(url, { client_id: `${url}?other` }), 'does not equal the URL'],
    ['missing client_id', (url: string) => ({ ...document(url), client_id: undefined }), 'does not equal the URL'],
    ['missing client_name', (url: string) => ({ ...document(url), client_name: undefined }), 'client_name is required'],
    ['missing redirect_uris', (url: string) => ({ ...document(url), redirect_uris: undefined }), 'redirect_uris is required'],
    ['a client_secret', (url: string) => document(url, { client_secret: 'shh' }), 'must not contain client_secret'],
    ['client_secret_expires_at', (url: string) => document(url, { client_secret_expires_at: 0 }), 'must not contain client_secret'],
    ['client_secret_basic', (url: string) => document(url, { token_endpoint_auth_method: 'client_secret_basic' }), "use 'none' or 'private_key_jwt'"],
    ['private_key_jwt without keys', (url: string) => document(url, { token_endpoint_auth_method: 'private_key_jwt' }), 'jwks or jwks_uri'],
    ['a bad redirect URI', (url: string) => document(url, { redirect_uris: ['http://evil.example/cb'] }), 'loopback'],
    ['the admin scope', (url: string) => document(url, { scope: 'mandate:admin' }), 'mandate:admin'],
    ['implicit grant', (url: string) => document(url, { grant_types: ['implicit'] }), 'OAuth 2.1'],
  ])('refuses a document with %s', async (_name, build, message) => {
    const { path, url } = docPath();
    docs.json(path, build(url));
    expect((await refusal(registry(), url)).description).toContain(message);
  });

  it('refuses a response that is not JSON, or not a JSON object, or not application/json', async () => {
    const a = docPath();
    docs.route(a.path, (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('<html>'));
    expect((await refusal(registry(), a.url)).description).toContain('not valid JSON');
    const b = docPath();
    docs.route(b.path, (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('[1,2]'));
    expect((await refusal(registry(), b.url)).description).toContain('not a JSON object');
    const c = docPath();
    docs.route(c.path, (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(JSON.stringify(document(c.url))));
    expect((await refusal(registry(), c.url)).description).toContain('content type');
  });

  it('refuses when the document server answers an error status', async () => {
    const { url } = docPath(); // no route: 404
    expect((await refusal(registry(), url)).description).toContain('HTTP 404');
  });
});

describe('AS-6 SSRF protection of the document fetch', () => {
  it('refuses a loopback document URL without the development allowance', async () => {
    const { path, url } = docPath();
    docs.json(path, document(url));
    const withoutAllowance = registry({ devAllowedHosts: [] });
    // http without the allowance is not even treated as a CIMD client_id …
    expect(await withoutAllowance.get(url)).toBeNull();
    // … and the https form of a loopback host is refused by the address check.
    const httpsUrl = url.replace('http://', 'https://');
    expect((await refusal(withoutAllowance, httpsUrl)).description).toContain('non-public address');
    expect(docs.hits(path)).toBe(0);
  });

  it('refuses the cloud metadata address and IPv4-mapped loopback', async () => {
    const reg = registry({ devAllowedHosts: [] });
    expect((await refusal(reg, 'https://169.254.169.254/latest/meta-data')).description).toContain('SSRF');
    expect((await refusal(reg, 'https://[::ffff:7f00:1]/client.json')).description).toContain('SSRF');
  });

  it('refuses redirects', async () => {
    const { path, url } = docPath();
    const target = docPath();
    docs.json(target.path, document(url));
    docs.route(path, (_req, res) => res.writeHead(301, { location: target.url }).end());
    expect((await refusal(registry(), url)).description).toContain('redirect');
    expect(docs.hits(target.path)).toBe(0);
  });

  it('refuses an oversized document', async () => {
    const { path, url } = docPath();
    docs.json(path, document(url, { padding: 'x'.repeat(3000) }));
    expect((await refusal(registry({ maxBytes: 2048 }), url)).description).toContain('larger than 2048 bytes');
  });

  it('times out a slow document server', async () => {
    const { path, url } = docPath();
    docs.route(path, () => undefined);
    expect((await refusal(registry({ timeoutMs: 200 }), url)).description).toContain('within 200 ms');
  });

  it('refuses client ids breaking the URL rules before fetching', async () => {
    const { path, url } = docPath();
    docs.json(path, document(url));
    expect((await refusal(registry(), `${url}#x`)).description).toContain('fragment');
    expect(docs.hits(path)).toBe(0);
  });
});

describe('CL-3 admin allowlist of client_id URL patterns', () => {
  it('resolves only URLs matching a pattern', async () => {
    const { path, url } = docPath();
    docs.json(path, document(url));
    const allowed = registry({ allowedUrlPatterns: [`${docs.origin}/clients/*`] });
    expect((await allowed.get(url))?.clientId).toBe(url);
    const denied = registry({ allowedUrlPatterns: ['https://*.example.com/clients/*'] });
    expect((await refusal(denied, url)).description).toContain('allowlist');
  });
});

describe('RFC 9111 HTTP caching of metadata documents (AS-6)', () => {
  it('serves a fresh copy from the cache without refetching (max-age)', async () => {
    const { path, url } = docPath();
    docs.json(path, document(url), { 'cache-control': 'max-age=300' });
    const reg = registry();
    await reg.get(url);
    clock += 299;
    await reg.get(url);
    await registry().get(url); // another registry on the same storage: shared cache
    expect(docs.hits(path)).toBe(1);
    clock += 2;
    await reg.get(url);
    expect(docs.hits(path)).toBe(2);
  });

  it('revalidates an expired copy with If-None-Match and keeps it on 304', async () => {
    const { path, url } = docPath();
    const etag = '"v1"';
    docs.route(path, (req, res) => {
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag, 'cache-control': 'max-age=120' }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', etag, 'cache-control': 'max-age=60' }).end(JSON.stringify(document(url)));
    });
    const reg = registry();
    expect((await reg.get(url))?.clientName).toBe('Test MCP Client');
    clock += 61;
    expect((await reg.get(url))?.clientName).toBe('Test MCP Client');
    expect(docs.requests(path).map((h) => h['if-none-match'])).toEqual([undefined, etag]);
    // The 304 refreshed the lifetime to 120 s.
    clock += 119;
    await reg.get(url);
    expect(docs.hits(path)).toBe(2);
    const cached = await storage.cimdCache.get(url);
    expect(cached).toMatchObject({ etag, expiresAt: clock - 119 + 120 });
  });

  it('picks up a changed document after expiry', async () => {
    const { path, url } = docPath();
    docs.json(path, document(url), { 'cache-control': `max-age=${CACHE_FLOOR_SECONDS}` });
    const reg = registry();
    await reg.get(url);
    docs.json(path, document(url, { client_name: 'Renamed' }), { 'cache-control': 'max-age=600' });
    expect((await reg.get(url))?.clientName).toBe('Test MCP Client');
    clock += CACHE_FLOOR_SECONDS + 1;
    expect((await reg.get(url))?.clientName).toBe('Renamed');
  });

  it('never stores a no-store document', async () => {
    const { path, url } = docPath();
    docs.json(path, document(url), { 'cache-control': 'no-store' });
    const reg = registry();
    await reg.get(url);
    await reg.get(url);
    expect(docs.hits(path)).toBe(2);
    expect(await storage.cimdCache.get(url)).toBeNull();
  });

  it('never stores a private document: the cache is shared (RFC 9111 §5.2.2.7)', async () => {
    const { path, url } = docPath();
    docs.json(path, document(url), { 'cache-control': 'private, max-age=600' });
    const reg = registry();
    await reg.get(url);
    await reg.get(url);
    expect(docs.hits(path)).toBe(2);
    expect(await storage.cimdCache.get(url)).toBeNull();
  });

  it('subtracts the Age of the response from its max-age (RFC 9111 §4.2.3)', async () => {
    const { path, url } = docPath();
    docs.json(path, document(url), { 'cache-control': 'max-age=600', age: '500' });
    await registry().get(url);
    expect(await storage.cimdCache.get(url)).toMatchObject({ fetchedAt: clock, expiresAt: clock + 100 });
  });

  it('keeps a no-cache document at lifetime 0 when a bare 304 revalidates it (RFC 9111 §4.3.4)', async () => {
    const { path, url } = docPath();
    const etag = '"nc1"';
    docs.route(path, (req, res) => {
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', etag, 'cache-control': 'no-cache' }).end(JSON.stringify(document(url)));
    });
    const reg = registry();
    await reg.get(url);
    expect(await storage.cimdCache.get(url)).toMatchObject({ etag, expiresAt: clock });
    clock += 1;
    await reg.get(url);
    expect(docs.requests(path).map((h) => h['if-none-match'])).toEqual([undefined, etag]);
    expect(await storage.cimdCache.get(url)).toMatchObject({ etag, fetchedAt: clock, expiresAt: clock });
    clock += 1;
    await reg.get(url); // still due for revalidation, not cached for the heuristic hour
    expect(docs.hits(path)).toBe(3);
  });

  it('refuses the client when an expired copy cannot be refreshed (no stale use)', async () => {
    const { path, url } = docPath();
    docs.json(path, document(url), { 'cache-control': 'max-age=60' });
    const reg = registry();
    await reg.get(url);
    docs.route(path, (_req, res) => res.writeHead(503).end());
    clock += 61;
    expect((await refusal(reg, url)).description).toContain('HTTP 503');
  });

  it('shares one fetch between concurrent resolutions', async () => {
    const { path, url } = docPath();
    docs.route(path, (_req, res) => {
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(document(url))), 50);
    });
    const reg = registry();
    const clients = await Promise.all([reg.get(url), reg.get(url), reg.get(url)]);
    expect(clients.map((c) => c?.clientId)).toEqual([url, url, url]);
    expect(docs.hits(path)).toBe(1);
  });
});

describe('AS-6 Client ID Metadata Documents in a running server', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  afterEach(async () => server?.close());

  it('resolves documents through ctx.clients, and refuses them when CIMD is disabled', async () => {
    const { path, url } = docPath();
    docs.json(path, document(url));
    server = await startTestServer({ cimd: { devAllowedHosts: [docs.hostPort] } });
    expect((await server.server.ctx.clients.get(url))?.source).toBe('cimd');
    await server.close();
    server = await startTestServer({ cimd: { enabled: false, devAllowedHosts: [docs.hostPort] } });
    expect(await server.server.ctx.clients.get(url)).toBeNull();
  });
});
