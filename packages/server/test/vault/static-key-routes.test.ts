/**
 * VA-2 over real HTTP: the signed-in user stores, replaces and removes their own API key at a
 * static-key connection on /account/vault. The key travels only in a CSRF-protected POST body;
 * it never comes back (page, redirect, audit), is not stored in the clear, and is what a release
 * then hands out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import pino from 'pino';
import { ConfigSchema } from '../../src/config/config.ts';
import { createServer } from '../../src/server.ts';
import type { UserRecord } from '../../src/storage/records.ts';
import { freePort, isolatedDatabaseUrl, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { TestBrowser } from '../interaction/support/browser.ts';
import { createUser } from '../token/fixtures.ts';
import { itemOf, signedInBrowser, vaultPage } from './support/account-browser.ts';

const KEY = 'sk_live_first_0123456789abcdef';
const KEY2 = 'sk_live_second_9876543210fedcba';

describe.each(['sqlite', 'postgres'] as const)('static keys on the account page (%s)', (backend) => {
  let ts: TestServer;
  let alice: UserRecord;
  let bob: UserRecord;

  beforeAll(async () => {
    ts = await startTestServer({}, backend);
    const vault = ts.server.ctx.vault;
    await vault.createConnection({ id: 'apikey', kind: 'static', displayName: 'Search API', provider: null, clientSecret: null });
    // An OAuth connection: its entries come from a link, never from a pasted key.
    await vault.createConnection({
      id: 'tp',
      kind: 'oauth',
      displayName: 'Third party',
      provider: { authorizationEndpoint: 'https://tp.example/auth', tokenEndpoint: 'https://tp.example/token', revocationEndpoint: null, clientId: 'mandate', tokenEndpointAuthMethod: 'none', scopes: [] },
      clientSecret: null,
    });
    alice = await createUser(ts.server.ctx, 'alice@example.com', 'Alice');
    bob = await createUser(ts.server.ctx, 'bob@example.com', 'Bob');
  });
  afterAll(async () => {
    await ts?.close();
  });

  const post = (browser: TestBrowser, path: string, form: Record<string, string>) => browser.post(`${ts.issuer}/account/vault/${path}`, form);
  const events = (event: string) => ts.server.ctx.storage.audit.list({ event, limit: 1000 });
  const everything = async () => JSON.stringify([await ts.server.ctx.storage.audit.list({ limit: 1000 }), await ts.server.ctx.storage.vault.entries.listForUser(alice.id)]);

  it('stores a key (303, key not echoed), replaces it, removes it; each step audited without the key', async () => {
    const browser = await signedInBrowser(ts, alice);
    const first = await vaultPage(ts, browser);
    const item = itemOf(first.html, 'apikey');
    expect(item).toContain('data-status="none"');
    expect(item).toContain('name="api_key" type="password" autocomplete="off"');
    expect(item).toContain('Save key');

    // A pasted key with a trailing newline is stored trimmed.
    const stored = await post(browser, 'key', { csrf: first.csrf, connection: 'apikey', api_key: `${KEY}\n` });
    expect(stored.status).toBe(303);
    expect(stored.headers.get('location')).toBe(`${ts.issuer}/account/vault?stored=apikey`);
    expect(await stored.text()).not.toContain(KEY);
    expect(await ts.server.ctx.vault.staticKey(alice.id, 'apikey')).toBe(KEY);

    const after = await vaultPage(ts, browser, '?stored=apikey');
    expect(after.html).toContain('Saved the key for Search API.');
    expect(after.html).not.toContain(KEY);
    expect(itemOf(after.html, 'apikey')).toContain('data-status="ok"');
    expect(itemOf(after.html, 'apikey')).toContain('Replace key');
    expect(itemOf(after.html, 'apikey')).toContain('Remove key');

    expect((await post(browser, 'key', { csrf: after.csrf, connection: 'apikey', api_key: KEY2 })).headers.get('location')).toBe(`${ts.issuer}/account/vault?stored=apikey`);
    expect(await ts.server.ctx.vault.staticKey(alice.id, 'apikey')).toBe(KEY2);
    const storedEvents = (await events('vault_key_stored')).filter((e) => e.userId === alice.id);
    expect(storedEvents.map((e) => [e.result, e.data?.replaced])).toEqual(expect.arrayContaining([['success', false], ['success', true]]));
    expect(storedEvents[0]).toMatchObject({ resource: 'urn:mandate:vault:apikey', data: { connection: 'apikey' } });

    // Removing is an unlink of the static entry, audited as a key removal.
    const removed = await post(browser, 'unlink', { csrf: after.csrf, connection: 'apikey' });
    expect(removed.headers.get('location')).toBe(`${ts.issuer}/account/vault?removed=apikey`);
    expect(await ts.server.ctx.storage.vault.entries.getFor(alice.id, 'apikey')).toBeNull();
    await expect(ts.server.ctx.vault.staticKey(alice.id, 'apikey')).rejects.toMatchObject({ code: 'ERR_VAULT_NOT_FOUND' });
    expect((await vaultPage(ts, browser, '?removed=apikey')).html).toContain('Removed the key for Search API.');
    expect(await events('vault_key_removed')).toEqual(expect.arrayContaining([expect.objectContaining({ userId: alice.id, result: 'success', resource: 'urn:mandate:vault:apikey' })]));

    const all = await everything();
    for (const secret of [KEY, KEY2]) expect(all.includes(secret)).toBe(false);
  });

  it('the key is sealed in the database and bound to its user: another user keeps their own', async () => {
    const aliceBrowser = await signedInBrowser(ts, alice);
    const bobBrowser = await signedInBrowser(ts, bob);
    await post(aliceBrowser, 'key', { csrf: (await vaultPage(ts, aliceBrowser)).csrf, connection: 'apikey', api_key: KEY });
    await post(bobBrowser, 'key', { csrf: (await vaultPage(ts, bobBrowser)).csrf, connection: 'apikey', api_key: KEY2 });
    expect(await ts.server.ctx.vault.staticKey(alice.id, 'apikey')).toBe(KEY);
    expect(await ts.server.ctx.vault.staticKey(bob.id, 'apikey')).toBe(KEY2);
    const row = await ts.server.ctx.storage.vault.entries.getFor(alice.id, 'apikey');
    expect(JSON.stringify(row)).not.toContain(KEY);
    // Bob's page shows his entry, not Alice's; neither key appears on it.
    const bobPage = (await vaultPage(ts, bobBrowser)).html;
    expect(bobPage).not.toContain(KEY);
    expect(bobPage).not.toContain(KEY2);
  });

  it('refuses a post without the session, without or with a wrong CSRF token: nothing stored', async () => {
    const none = await new TestBrowser().post(`${ts.issuer}/account/vault/key`, { csrf: 'x', connection: 'apikey', api_key: KEY });
    expect(none.status).toBe(401);
    const browser = await signedInBrowser(ts, bob);
    await post(browser, 'unlink', { csrf: (await vaultPage(ts, browser)).csrf, connection: 'apikey' });
    const forms: Record<string, string>[] = [{ connection: 'apikey', api_key: KEY }, { csrf: 'wrong', connection: 'apikey', api_key: KEY }];
    for (const form of forms) {
      const res = await post(browser, 'key', form);
      expect(res.status).toBe(403);
      expect(await res.text()).not.toContain(KEY);
    }
    expect(await ts.server.ctx.storage.vault.entries.getFor(bob.id, 'apikey')).toBeNull();
  });

  it('an invalid key, a key for an OAuth or unknown connection, or a key only in the URL: a clear error, nothing stored, no key in the audit', async () => {
    const browser = await signedInBrowser(ts, bob);
    const { csrf } = await vaultPage(ts, browser);
    const invalid = ['x'.repeat(4097), 'sk_live\u0000abc', 'sk live\rinjected', ''];
    for (const apiKey of invalid) {
      const res = await post(browser, 'key', { csrf, connection: 'apikey', api_key: apiKey });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`${ts.issuer}/account/vault?error=key`);
    }
    expect((await vaultPage(ts, browser, '?error=key')).html).toContain('The key could not be saved');
    // Only the POST body is read: a key in the query string is ignored.
    const inUrl = await browser.post(`${ts.issuer}/account/vault/key?api_key=${KEY}`, { csrf, connection: 'apikey' });
    expect(inUrl.headers.get('location')).toBe(`${ts.issuer}/account/vault?error=key`);
    for (const connection of ['tp', 'nope']) {
      const res = await post(browser, 'key', { csrf, connection, api_key: KEY });
      expect(res.headers.get('location')).toBe(`${ts.issuer}/account/vault?error=unknown_connection`);
    }
    expect(await ts.server.ctx.storage.vault.entries.listForUser(bob.id)).toEqual([]);
    const refused = (await events('vault_key_stored')).filter((e) => e.userId === bob.id && e.result === 'failure');
    expect(refused.map((e) => e.reason)).toEqual(expect.arrayContaining(['ERR_VAULT_INVALID_KEY', 'ERR_VAULT_NOT_FOUND']));
    const audit = JSON.stringify(await ts.server.ctx.storage.audit.list({ limit: 1000 }));
    for (const secret of [KEY, 'sk_live\u0000abc', 'injected']) expect(audit.includes(secret)).toBe(false);
  });

  it('the page offers no key field for an OAuth connection, and a link for it', async () => {
    const browser = await signedInBrowser(ts, bob);
    const item = itemOf((await vaultPage(ts, browser)).html, 'tp');
    expect(item).not.toContain('api_key');
    expect(item).toContain('action="/account/vault/link"');
  });
});

describe('static keys are never logged', () => {
  it('at trace level, storing, refusing and removing a key writes nothing of it to the log', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const port = await freePort();
    const db = isolatedDatabaseUrl('sqlite');
    const config = ConfigSchema.parse({ mode: 'development', issuer: `http://127.0.0.1:${port}`, port, dataDir: tmpdir(), databaseUrl: db.url, secretKey: randomBytes(32).toString('base64url'), logLevel: 'trace' });
    const server = await createServer(config, { logger: pino({ level: 'trace' }, sink) });
    await server.listen(port, '127.0.0.1');
    const ts: TestServer = { server, issuer: config.issuer, port, close: async () => {} };
    try {
      await server.ctx.vault.createConnection({ id: 'apikey', kind: 'static', displayName: 'Search API', provider: null, clientSecret: null });
      const user = await createUser(server.ctx, 'carol@example.com', 'Carol');
      const browser = await signedInBrowser(ts, user);
      const { csrf } = await vaultPage(ts, browser);
      const post = (form: Record<string, string>) => browser.post(`${ts.issuer}/account/vault/key`, form);
      expect((await post({ csrf, connection: 'apikey', api_key: KEY })).status).toBe(303);
      expect((await post({ csrf, connection: 'apikey', api_key: `${KEY2}\u0000` })).headers.get('location')).toContain('error=key');
      expect((await post({ csrf: 'wrong', connection: 'apikey', api_key: KEY2 })).status).toBe(403);
      // A repeated field is a malformed form: refused, still without the key in the log.
      const repeated = await browser.request(`${ts.issuer}/account/vault/key`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `csrf=${csrf}&connection=apikey&api_key=${KEY}&api_key=${KEY2}` });
      expect(repeated.status).toBe(400);
      expect(await repeated.text()).not.toContain(KEY);
      await browser.post(`${ts.issuer}/account/vault/unlink`, { csrf, connection: 'apikey' });
      expect(await server.ctx.storage.vault.entries.getFor(user.id, 'apikey')).toBeNull();
      // The admin route with a bad bearer token: the refusal is logged (so the sink does receive the server's log), the body is not.
      const adminPut = await fetch(`${ts.issuer}/admin/v1/vault/connections/apikey/static-keys/${user.id}`, { method: 'PUT', headers: { authorization: 'Bearer not-a-token', 'content-type': 'application/json' }, body: JSON.stringify({ api_key: KEY }) });
      expect(adminPut.status).toBe(401);
      await new Promise((resolve) => setImmediate(resolve));
      const log = lines.join('');
      expect(log).toContain('bearer token rejected');
      for (const secret of [KEY, KEY2]) expect(log.includes(secret)).toBe(false);
    } finally {
      await server.close();
      await db.cleanup();
    }
  });
});
