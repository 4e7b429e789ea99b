/**
 * The storage contract (storage.ts), run unchanged against SQLite and PostgreSQL: record round
 * trips, lookups and lifecycle updates. Single use, revocation and the audit chain have their
 * own contract-*.test.ts files.
 */
import { describe, expect, it } from 'vitest';
import { openStorage } from '../../src/storage/open.ts';
import { isolatedDatabaseUrl } from '../helpers/isolated-database.ts';
import { BACKENDS, accessToken, client, consent, user, useStorage } from './fixtures.ts';

describe.each(BACKENDS)('storage contract (%s): records', (backend) => {
  const h = useStorage(backend);

  describe('RFC 7591 §2 client metadata records', () => {
    it('round-trips every field: JSON arrays and objects, nulls and booleans', async () => {
      const full = client();
      await h.storage.clients.create(full);
      expect(await h.storage.clients.get(full.clientId)).toEqual(full);
      const sparse = client({ clientId: 'public', clientSecretHash: null, jwks: null, softwareVersion: null, requirePar: false, dpopBoundAccessTokens: true, metadata: {} });
      await h.storage.clients.create(sparse);
      expect(await h.storage.clients.get('public')).toEqual(sparse);
      expect(await h.storage.clients.get('nobody')).toBeNull();
    });

    it('RFC 7592 §2.2: update replaces the whole record; delete removes it; both report absence', async () => {
      await h.storage.clients.create(client());
      const replaced = client({ clientName: 'Renamed', redirectUris: ['https://new.example/cb'], jwks: null, requirePar: false, updatedAt: 1_700_000_100 });
      expect(await h.storage.clients.update(replaced)).toBe(true);
      expect(await h.storage.clients.get('client-1')).toEqual(replaced);
      expect(await h.storage.clients.update(client({ clientId: 'ghost' }))).toBe(false);
      expect(await h.storage.clients.delete('client-1')).toBe(true);
      expect(await h.storage.clients.delete('client-1')).toBe(false);
      expect(await h.storage.clients.get('client-1')).toBeNull();
    });

    it('lists in creation order with limit and offset', async () => {
      for (let i = 0; i < 5; i++) await h.storage.clients.create(client({ clientId: `c${i}`, createdAt: 100 + i }));
      expect((await h.storage.clients.list()).map((c) => c.clientId)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
      expect((await h.storage.clients.list({ limit: 2, offset: 1 })).map((c) => c.clientId)).toEqual(['c1', 'c2']);
    });
  });

  describe('users', () => {
    it('round-trips a user and finds it by email regardless of case', async () => {
      const alice = user({ totpSecretEncrypted: 'eyJhbGciOiJkaXIifQ..iv.ct.tag', isAdmin: true });
      await h.storage.users.create(alice);
      expect(await h.storage.users.get(alice.id)).toEqual(alice);
      expect(await h.storage.users.getByEmail('alice@example.com')).toEqual(alice);
      expect(await h.storage.users.getByEmail('ALICE@EXAMPLE.COM')).toEqual(alice);
      expect(await h.storage.users.getByEmail('bob@example.com')).toBeNull();
      expect(await h.storage.users.get('usr_nobody')).toBeNull();
    });

    it('refuses a second account whose email differs only in case, and writes nothing for it', async () => {
      await h.storage.users.create(user());
      await expect(h.storage.users.create(user({ id: 'usr_other', email: 'alice@example.com' }))).rejects.toThrow();
      expect(await h.storage.users.get('usr_other')).toBeNull();
    });

    it('update replaces the record and moves the email lookup; list pages', async () => {
      await h.storage.users.create(user());
      await h.storage.users.create(user({ id: 'usr_bob', email: 'bob@example.com', createdAt: 1_700_000_001 }));
      const changedAlice = user({ email: 'alice@new.example', passwordHash: null, disabled: true, updatedAt: 1_700_000_500 });
      expect(await h.storage.users.update(changedAlice)).toBe(true);
      expect(await h.storage.users.getByEmail('Alice@Example.COM')).toBeNull();
      expect(await h.storage.users.getByEmail('ALICE@new.example')).toEqual(changedAlice);
      expect(await h.storage.users.update(user({ id: 'usr_ghost', email: 'ghost@example.com' }))).toBe(false);
      expect((await h.storage.users.list({ limit: 1, offset: 1 })).map((u) => u.id)).toEqual(['usr_bob']);
    });
  });

  describe('login sessions', () => {
    it('round-trips, revokes once, and revokes all live sessions of a user', async () => {
      const base = { userId: 'usr_alice', authTime: 10, acr: '1', amr: ['pwd', 'otp'], createdAt: 10, expiresAt: 1000, revokedAt: null };
      await h.storage.sessions.create({ idHash: 's1', ...base });
      await h.storage.sessions.create({ idHash: 's2', ...base });
      await h.storage.sessions.create({ idHash: 's3', ...base });
      await h.storage.sessions.create({ idHash: 's4', ...base, userId: 'usr_bob' });
      expect(await h.storage.sessions.get('s1')).toEqual({ idHash: 's1', ...base });
      expect(await h.storage.sessions.get('nope')).toBeNull();
      expect(await h.storage.sessions.revoke('s1', 20)).toBe(true);
      expect(await h.storage.sessions.revoke('s1', 30)).toBe(false);
      expect((await h.storage.sessions.get('s1'))?.revokedAt).toBe(20);
      expect(await h.storage.sessions.revokeAllForUser('usr_alice', 40)).toBe(2);
      expect((await h.storage.sessions.get('s2'))?.revokedAt).toBe(40);
      expect((await h.storage.sessions.get('s4'))?.revokedAt).toBeNull();
    });
  });

  describe('consents', () => {
    it('round-trips, lists live consents per user and client, and revokes', async () => {
      const c1 = consent({ authorizationDetails: [{ type: 'files', actions: ['read'] }] });
      const c2 = consent({ id: 'cns_2', clientId: 'client-2', createdAt: 1_700_000_100 });
      await h.storage.consents.create(c1);
      await h.storage.consents.create(c2);
      await h.storage.consents.create(consent({ id: 'cns_bob', userId: 'usr_bob' }));
      expect(await h.storage.consents.get('cns_1')).toEqual(c1);
      expect(await h.storage.consents.get('cns_none')).toBeNull();
      expect((await h.storage.consents.listForUser('usr_alice')).map((c) => c.id)).toEqual(['cns_2', 'cns_1']);
      expect(await h.storage.consents.listForUser('usr_alice', { clientId: 'client-1' })).toEqual([c1]);
      expect(await h.storage.consents.revoke('cns_1', 50)).toBe(true);
      expect(await h.storage.consents.revoke('cns_1', 60)).toBe(false);
      expect((await h.storage.consents.listForUser('usr_alice')).map((c) => c.id)).toEqual(['cns_2']);
      const all = await h.storage.consents.listForUser('usr_alice', { includeRevoked: true });
      expect(all.find((c) => c.id === 'cns_1')?.revokedAt).toBe(50);
    });
  });

  describe('RFC 7009 / RFC 7662 access token records', () => {
    it('round-trips by jti, revokes once, and purges only rows expired before the cut-off', async () => {
      const at = accessToken();
      await h.storage.accessTokens.create(at);
      await h.storage.accessTokens.create(accessToken({ jti: 'at_cc', grantId: null, userId: null, expiresAt: 2_000 }));
      await h.storage.accessTokens.create(accessToken({ jti: 'at_old', expiresAt: 1_000 }));
      expect(await h.storage.accessTokens.get('at_1')).toEqual(at);
      expect((await h.storage.accessTokens.get('at_cc'))?.grantId).toBeNull();
      expect(await h.storage.accessTokens.get('at_none')).toBeNull();
      expect(await h.storage.accessTokens.revoke('at_1', 77)).toBe(true);
      expect(await h.storage.accessTokens.revoke('at_1', 78)).toBe(false);
      expect(await h.storage.accessTokens.revoke('at_none', 78)).toBe(false);
      expect((await h.storage.accessTokens.get('at_1'))?.revokedAt).toBe(77);
      expect(await h.storage.accessTokens.purgeExpired(2_000, 1000)).toBe(1);
      expect(await h.storage.accessTokens.get('at_old')).toBeNull();
      expect(await h.storage.accessTokens.get('at_cc')).not.toBeNull();
    });
  });

  describe('signing keys: rotation with overlap', () => {
    it('retires an active key once and purges it only after publishUntil', async () => {
      const key = {
        kid: 'k1',
        alg: 'ES256' as const,
        publicJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k1' },
        privateJwkEncrypted: 'eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..iv.ct.tag',
        status: 'active' as const,
        createdAt: 100,
        retiredAt: null,
        publishUntil: null,
      };
      await h.storage.signingKeys.create(key);
      await h.storage.signingKeys.create({ ...key, kid: 'k2', alg: 'EdDSA', createdAt: 200 });
      expect(await h.storage.signingKeys.list()).toEqual([key, { ...key, kid: 'k2', alg: 'EdDSA', createdAt: 200 }]);
      expect(await h.storage.signingKeys.retire('k1', 300, 900)).toBe(true);
      expect(await h.storage.signingKeys.retire('k1', 400, 1000)).toBe(false);
      expect(await h.storage.signingKeys.retire('k404', 400, 1000)).toBe(false);
      expect((await h.storage.signingKeys.list())[0]).toEqual({ ...key, status: 'retired', retiredAt: 300, publishUntil: 900 });
      expect(await h.storage.signingKeys.purge(899)).toBe(0);
      expect(await h.storage.signingKeys.purge(900)).toBe(1);
      expect((await h.storage.signingKeys.list()).map((k) => k.kid)).toEqual(['k2']);
    });
  });

  describe('Client ID Metadata Document cache (HTTP caching)', () => {
    it('stores a document and replaces it on refetch', async () => {
      const url = 'https://app.example/oauth/client.json';
      expect(await h.storage.cimdCache.get(url)).toBeNull();
      const first = { url, document: { client_id: url, redirect_uris: ['https://app.example/cb'] }, etag: '"v1"', fetchedAt: 100, expiresAt: 400 };
      await h.storage.cimdCache.put(first);
      expect(await h.storage.cimdCache.get(url)).toEqual(first);
      const second = { url, document: { client_id: url, client_name: 'App' }, etag: null, fetchedAt: 500, expiresAt: 800 };
      await h.storage.cimdCache.put(second);
      expect(await h.storage.cimdCache.get(url)).toEqual(second);
    });
  });

  describe('migrations', () => {
    it('migrate() again is harmless and keeps the data', async () => {
      await h.storage.clients.create(client());
      await h.storage.migrate();
      await h.storage.migrate();
      expect(await h.storage.clients.get('client-1')).toEqual(client());
      expect(h.storage.kind).toBe(backend);
    });
  });
});

describe.each(BACKENDS)('storage contract (%s): concurrent start', (backend) => {
  it('two instances migrating one fresh database at once both succeed and share the tables', async () => {
    const db = isolatedDatabaseUrl(backend);
    const [a, b] = await Promise.all([openStorage(db.url), openStorage(db.url)]);
    try {
      await Promise.all([a.migrate(), b.migrate()]);
      await a.clients.create(client());
      expect(await b.clients.get('client-1')).toEqual(client());
    } finally {
      await Promise.all([a.close(), b.close()]);
      await db.cleanup();
    }
  });
});
