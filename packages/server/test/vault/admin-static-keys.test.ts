/**
 * VA-2, admin side: an administrator stores, replaces and removes a user's API key at a
 * static-key connection through the admin API. The body is zod-validated, the key write-only
 * (never in a response, an error or the audit event), and only live users at static-key
 * connections can receive one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRecord } from '../../src/storage/records.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { admin, mintToken, startAdminServer } from '../admin/support.ts';
import { createUser } from '../token/fixtures.ts';

const KEY = 'sk_admin_issued_0123456789abcdef';
const KEY2 = 'sk_admin_rotated_fedcba9876543210';

describe('Admin API: static keys', () => {
  let s: TestServer;
  let token: string;
  let alice: UserRecord;
  let gone: UserRecord;

  beforeAll(async () => {
    s = await startAdminServer();
    token = (await mintToken(s)).token;
    const ctx = s.server.ctx;
    await ctx.vault.createConnection({ id: 'apikey', kind: 'static', displayName: 'Search API', provider: null, clientSecret: null });
    await ctx.vault.createConnection({
      id: 'tp',
      kind: 'oauth',
      displayName: 'Third party',
      provider: { authorizationEndpoint: 'https://tp.example/auth', tokenEndpoint: 'https://tp.example/token', revocationEndpoint: null, clientId: 'mandate', tokenEndpointAuthMethod: 'none', scopes: [] },
      clientSecret: null,
    });
    alice = await createUser(ctx, 'alice@example.com', 'Alice');
    gone = await createUser(ctx, 'gone@example.com', 'Gone');
    await ctx.storage.users.update({ ...gone, disabled: true });
  });
  afterAll(() => s?.close());

  const call = (method: string, path: string, body?: unknown) => admin(s, token, method, path, body);
  const keyPath = (user: string, connection = 'apikey') => `/vault/connections/${connection}/static-keys/${user}`;

  it('stores, replaces and removes a key; responses and audit events never carry it', async () => {
    const created = await call('PUT', keyPath(alice.id), { api_key: KEY });
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ user_id: alice.id, connection_id: 'apikey', status: 'ok', last_error: null, replaced: false });
    expect(await s.server.ctx.vault.staticKey(alice.id, 'apikey')).toBe(KEY);

    const replaced = await call('PUT', keyPath(alice.id), { api_key: KEY2 });
    expect(replaced.json).toMatchObject({ id: created.json.id, replaced: true });
    expect(await s.server.ctx.vault.staticKey(alice.id, 'apikey')).toBe(KEY2);
    // The admin's entry list shows it (no key), like any linked account.
    const listed = await call('GET', '/vault/connections/apikey/entries');
    expect(listed.json.items).toEqual([expect.objectContaining({ user_id: alice.id, status: 'ok' })]);

    const removed = await call('DELETE', keyPath(alice.id));
    expect(removed.status).toBe(204);
    expect(await s.server.ctx.storage.vault.entries.getFor(alice.id, 'apikey')).toBeNull();
    expect((await call('DELETE', keyPath(alice.id))).status).toBe(404);

    const puts = await s.server.ctx.storage.audit.list({ event: 'admin.putVaultStaticKey', limit: 100 });
    expect(puts.map((e) => e.data)).toEqual([
      expect.objectContaining({ connectionId: 'apikey', userId: alice.id, replaced: false }),
      expect.objectContaining({ connectionId: 'apikey', userId: alice.id, replaced: true }),
    ]);
    expect(await s.server.ctx.storage.audit.list({ event: 'admin.deleteVaultStaticKey', limit: 100 })).toHaveLength(1);
    const everything = JSON.stringify([created.json, replaced.json, listed.json, await s.server.ctx.storage.audit.list({ limit: 1000 })]);
    for (const secret of [KEY, KEY2]) expect(everything.includes(secret)).toBe(false);
  });

  it('refuses bad bodies with 400 invalid_request (never 500), without quoting the key', async () => {
    const bad = [{}, { api_key: '' }, { api_key: 42 }, { api_key: 'x'.repeat(4097) }, { api_key: `${KEY}\r\nX-Injected: 1` }, { api_key: ` ${KEY}` }];
    for (const body of bad) {
      const res = await call('PUT', keyPath(alice.id), body);
      expect(res.status).toBe(400);
      expect(res.json.error).toBe('invalid_request');
      expect(JSON.stringify(res.json)).not.toContain(KEY);
    }
    expect(await s.server.ctx.storage.vault.entries.getFor(alice.id, 'apikey')).toBeNull();
  });

  it('404 for an unknown user, an unknown or OAuth connection; 400 for a disabled user', async () => {
    expect((await call('PUT', keyPath('usr_nobody'), { api_key: KEY })).status).toBe(404);
    expect((await call('PUT', keyPath(alice.id, 'nope'), { api_key: KEY })).status).toBe(404);
    expect((await call('PUT', keyPath(alice.id, 'tp'), { api_key: KEY })).status).toBe(404);
    expect((await call('DELETE', keyPath(alice.id, 'tp'))).status).toBe(404);
    const disabled = await call('PUT', keyPath(gone.id), { api_key: KEY });
    expect(disabled.status).toBe(400);
    expect(await s.server.ctx.storage.vault.entries.listForUser(gone.id)).toEqual([]);
    expect(await s.server.ctx.storage.vault.entries.listForUser(alice.id)).toEqual([]);
  });

  it('requires the admin scope', async () => {
    expect((await admin(s, null, 'PUT', keyPath(alice.id), { api_key: KEY })).status).toBe(401);
  });
});
