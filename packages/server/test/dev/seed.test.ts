import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { generate } from 'otplib';
import { ConfigSchema } from '../../src/config/config.ts';
import { DEVELOPMENT_DEMO_SCOPES, loadConfig } from '../../src/config/load.ts';
import { sha256 } from '../../src/crypto/hash.ts';
import { Envelope } from '../../src/crypto/envelope.ts';
import { hashPassword, verifyPassword } from '../../src/crypto/password.ts';
import { readSeedFile, seedDevelopmentData } from '../../src/dev/seed.ts';
import { createServer, type MandateServer } from '../../src/server.ts';
import { isolatedDatabaseUrl } from '../helpers/isolated-database.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const DEV_SCOPES = ['openid', 'profile', 'email', 'offline_access', ...DEVELOPMENT_DEMO_SCOPES];
const open: MandateServer[] = [];
const cleanups: (() => void)[] = [];
let testServer: TestServer | undefined;

afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  await testServer?.close();
  testServer = undefined;
  for (const c of cleanups.splice(0)) c();
});

async function server(databaseUrl: string, secretKey: string, mode: 'development' | 'production' = 'development'): Promise<MandateServer> {
  const config = ConfigSchema.parse({ mode, issuer: 'http://127.0.0.1:1', port: 0, dataDir: tmpdir(), databaseUrl, secretKey, logLevel: 'silent', scopesSupported: DEV_SCOPES, dcr: { policy: 'open' } });
  const s = await createServer(config, { logger: pino({ level: 'silent' }) });
  open.push(s);
  return s;
}

describe('Development seed (issue 2: demo users, clients, open registration)', () => {
  it('seeds alice (admin) and bob with hashed passwords and encrypted TOTP secrets, and the demo clients', async () => {
    const db = isolatedDatabaseUrl('sqlite');
    cleanups.push(db.cleanup);
    const s = await server(db.url, randomBytes(32).toString('base64url'));
    const summary = await seedDevelopmentData(s.ctx);
    expect(summary.dcrPolicy).toBe('open');
    expect(summary.users.map((u) => u.email)).toEqual(['alice@example.com', 'bob@example.com']);
    expect(summary.clients.map((c) => c.clientId)).toEqual(['demo-mcp-host', 'demo-web-app', 'demo-admin-cli']);

    const seed = await readSeedFile();
    for (const u of seed.users) {
      const user = (await s.ctx.storage.users.getByEmail(u.email))!;
      expect(user.isAdmin).toBe(u.email === 'alice@example.com');
      expect(await verifyPassword(u.password, user.passwordHash!)).toBe(true);
      expect(user.totpSecretEncrypted).not.toContain(u.totpSecret);
      expect(await s.ctx.envelope.decrypt(user.totpSecretEncrypted!, 'totp')).toBe(u.totpSecret);
      expect(await generate({ secret: u.totpSecret })).toMatch(/^\d{6}$/); // a valid base32 TOTP secret
    }
    expect(await s.ctx.clients.get('demo-mcp-host')).toMatchObject({ tokenEndpointAuthMethod: 'none', applicationType: 'native', clientSecretHash: null });
    const web = seed.clients.find((c) => c.metadata.client_id === 'demo-web-app')!;
    expect((await s.ctx.clients.get('demo-web-app'))?.clientSecretHash).toBe(sha256(String(web.metadata.client_secret)));
    expect(await s.ctx.clients.get('demo-admin-cli')).toMatchObject({ grantTypes: ['client_credentials'], scope: 'mandate:admin' });
  });

  it('is idempotent: a second start neither duplicates nor fails, and keeps ids', async () => {
    const db = isolatedDatabaseUrl('sqlite');
    cleanups.push(db.cleanup);
    const key = randomBytes(32).toString('base64url');
    const first = await server(db.url, key);
    await seedDevelopmentData(first.ctx);
    const alice = await first.ctx.storage.users.getByEmail('alice@example.com');
    await first.close();
    open.splice(0);
    const second = await server(db.url, key);
    await seedDevelopmentData(second.ctx);
    await seedDevelopmentData(second.ctx);
    expect(await second.ctx.storage.users.list()).toHaveLength(2);
    expect(await second.ctx.storage.clients.list()).toHaveLength(3);
    expect((await second.ctx.storage.users.getByEmail('alice@example.com'))?.id).toBe(alice?.id);
  });

  it('brings drifted demo users back to the seed values (password, TOTP under another key, admin flag)', async () => {
    const db = isolatedDatabaseUrl('sqlite');
    cleanups.push(db.cleanup);
    const s = await server(db.url, randomBytes(32).toString('base64url'));
    await seedDevelopmentData(s.ctx);
    const bob = (await s.ctx.storage.users.getByEmail('bob@example.com'))!;
    const foreignEnvelope = new Envelope(randomBytes(32).toString('base64url'));
    await s.ctx.storage.users.update({
      ...bob,
      isAdmin: true,
      passwordHash: await hashPassword('changed-in-the-meantime'),
      totpSecretEncrypted: await foreignEnvelope.encrypt('AAAAAAAAAAAAAAAA', 'totp'),
    });
    await seedDevelopmentData(s.ctx);
    const restored = (await s.ctx.storage.users.getByEmail('bob@example.com'))!;
    const seedBob = (await readSeedFile()).users.find((u) => u.email === 'bob@example.com')!;
    expect(restored).toMatchObject({ id: bob.id, isAdmin: false });
    expect(await verifyPassword(seedBob.password, restored.passwordHash!)).toBe(true);
    expect(await s.ctx.envelope.decrypt(restored.totpSecretEncrypted!, 'totp')).toBe(seedBob.totpSecret);
  });

  it('is refused outside development mode', async () => {
    const db = isolatedDatabaseUrl('sqlite');
    cleanups.push(db.cleanup);
    const s = await server(db.url, randomBytes(32).toString('base64url'), 'production');
    await expect(seedDevelopmentData(s.ctx)).rejects.toThrow(/development/);
  });

  it('lets the demo admin CLI obtain a mandate:admin token and use the admin API', async () => {
    testServer = await startTestServer({ scopesSupported: DEV_SCOPES });
    await seedDevelopmentData(testServer.server.ctx);
    const seed = await readSeedFile();
    const cli = seed.clients.find((c) => c.metadata.client_id === 'demo-admin-cli')!.metadata;
    const tokenRes = await fetch(`${testServer.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`demo-admin-cli:${String(cli.client_secret)}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'mandate:admin' }),
    });
    expect(tokenRes.status).toBe(200);
    const { access_token: token } = (await tokenRes.json()) as { access_token: string };
    const users = await fetch(`${testServer.issuer}/admin/v1/users`, { headers: { authorization: `Bearer ${token}` } });
    expect(users.status).toBe(200);
    expect(((await users.json()) as { items: { email: string }[] }).items.map((u) => u.email).sort()).toEqual(['alice@example.com', 'bob@example.com']);
  });
});

describe('Development configuration defaults (config/load.ts)', () => {
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'mandate-load-'));
    cleanups.push(() => rmSync(d, { recursive: true, force: true }));
    return d;
  };

  it('opens dynamic registration and adds the demo scopes in development', () => {
    const config = loadConfig({ MANDATE_DATA_DIR: dir() });
    expect(config.dcr.policy).toBe('open');
    expect(config.scopesSupported).toEqual(expect.arrayContaining(['mandate:admin', 'mcp:tools', 'mcp:resources', 'openid']));
  });

  it('keeps explicit settings, and production defaults to registration off', () => {
    const config = loadConfig({ MANDATE_DATA_DIR: dir() }, { dcr: { policy: 'allowlist', softwareIds: ['x'] }, scopesSupported: ['openid'] });
    expect(config.dcr).toMatchObject({ policy: 'allowlist', softwareIds: ['x'] });
    expect(config.scopesSupported).toEqual(['openid']);
    const prod = loadConfig({ NODE_ENV: 'production', MANDATE_SECRET_KEY: randomBytes(32).toString('base64url'), MANDATE_ISSUER: 'https://as.example', MANDATE_DATA_DIR: dir() });
    expect(prod.dcr.policy).toBe('off');
    expect(prod.scopesSupported).not.toContain('mandate:admin');
  });
});
