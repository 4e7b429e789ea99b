import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import pino from 'pino';
import { ConfigSchema, type MandateConfigInput } from '../../src/config/config.ts';
import { ConfigError } from '../../src/config/load.ts';
import { sha256 } from '../../src/crypto/hash.ts';
import { createServer, type MandateServer } from '../../src/server.ts';
import { isolatedDatabaseUrl } from '../helpers/isolated-database.ts';

const servers: MandateServer[] = [];
const cleanups: (() => void)[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const c of cleanups.splice(0)) c();
});

const secretKey = randomBytes(32).toString('base64url');

async function start(databaseUrl: string, clients: Record<string, unknown>[], extra: Partial<MandateConfigInput> = {}): Promise<MandateServer> {
  const config = ConfigSchema.parse({
    mode: 'development', issuer: 'http://127.0.0.1:1', port: 0, dataDir: tmpdir(), databaseUrl, secretKey, logLevel: 'silent', clients, ...extra,
  });
  const server = await createServer(config, { logger: pino({ level: 'silent' }) });
  servers.push(server);
  return server;
}

function database(): string {
  const db = isolatedDatabaseUrl('sqlite');
  cleanups.push(db.cleanup);
  return db.url;
}

const confidential = {
  client_id: 'reporting-service',
  client_secret: 'a-configured-secret-of-at-least-32-characters',
  client_name: 'Reporting',
  grant_types: ['client_credentials'],
  scope: 'reports:read',
};

describe('Static client registration from configuration (RFC 7591 §2 metadata)', () => {
  it('registers configured clients with source static and the secret stored only as SHA-256', async () => {
    const server = await start(database(), [confidential, { client_id: 'cli', token_endpoint_auth_method: 'none', redirect_uris: ['http://127.0.0.1/cb'] }]);
    const stored = await server.ctx.storage.clients.get('reporting-service');
    expect(stored).toMatchObject({ source: 'static', clientSecretHash: sha256(confidential.client_secret), tokenEndpointAuthMethod: 'client_secret_basic', scope: 'reports:read' });
    expect(JSON.stringify(stored)).not.toContain(confidential.client_secret);
    expect(await server.ctx.clients.get('cli')).toMatchObject({ tokenEndpointAuthMethod: 'none', applicationType: 'native', clientSecretHash: null });
  });

  it('upserts on restart: no duplicate, changes applied, creation time kept', async () => {
    const url = database();
    const first = await start(url, [confidential]);
    const created = (await first.ctx.storage.clients.get('reporting-service'))!.createdAt;
    await first.close();
    servers.splice(0);
    const second = await start(url, [{ ...confidential, client_name: 'Reporting v2' }], {});
    const clients = await second.ctx.storage.clients.list();
    expect(clients.filter((c) => c.clientId === 'reporting-service')).toHaveLength(1);
    expect(clients[0]).toMatchObject({ clientName: 'Reporting v2', createdAt: created });
  });

  it.each([
    [{ ...confidential, client_secret: 'short' }, 'at least 32 characters'],
    [{ ...confidential, client_secret: undefined }, 'needs a client_secret'],
    [{ client_id: 'pub', token_endpoint_auth_method: 'none', redirect_uris: ['http://127.0.0.1/cb'], client_secret: 'x'.repeat(40) }, 'only used with client_secret'],
    [{ ...confidential, client_id: 'https://not-a-static-id.example/c.json' }, 'client_id must be'],
    [{ ...confidential, grant_types: ['password'] }, 'removed in OAuth 2.1'],
  ])('refuses to start with an invalid client entry (%#)', async (entry, message) => {
    const err = await start(database(), [entry]).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(message);
  });
});
