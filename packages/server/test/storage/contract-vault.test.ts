/**
 * Issue 5 storage contract, on SQLite and PostgreSQL: vault connections and sealed entries — one
 * entry per user and connection, compare-and-set refresh writes and key-rotation rewraps, and a
 * connection delete that takes its entries with it.
 */
import { describe, expect, it } from 'vitest';
import type { VaultConnectionRecord, VaultEntryRecord } from '../../src/storage/records.ts';
import { BACKENDS, useStorage } from './fixtures.ts';

function connection(overrides: Partial<VaultConnectionRecord> = {}): VaultConnectionRecord {
  return {
    id: 'github',
    kind: 'oauth',
    displayName: 'GitHub “work” ✓',
    provider: {
      authorizationEndpoint: 'https://github.example/login/oauth/authorize',
      tokenEndpoint: 'https://github.example/login/oauth/access_token',
      revocationEndpoint: null,
      clientId: 'gh-client',
      tokenEndpointAuthMethod: 'client_secret_basic',
      scopes: ['repo', 'read:user'],
    },
    clientSecret: { kekId: 'k1', wrappedKey: 'd3JhcHBlZA', ciphertext: 'Y2lwaGVy' },
    createdAt: 1_700_000_000,
    updatedAt: 1_700_000_000,
    ...overrides,
  };
}

function entry(overrides: Partial<VaultEntryRecord> = {}): VaultEntryRecord {
  return {
    id: 'vle_1',
    userId: 'usr_alice',
    connectionId: 'github',
    sealed: { kekId: 'k1', wrappedKey: 'd2sx', ciphertext: 'Y3Qx' },
    status: 'ok',
    lastError: null,
    refreshLeaseUntil: null,
    createdAt: 1_700_000_000,
    updatedAt: 1_700_000_000,
    ...overrides,
  };
}

describe.each(BACKENDS)('storage contract (%s): token vault', (backend) => {
  const h = useStorage(backend);

  describe('connections', () => {
    it('round-trips oauth and static connections, updates, lists in creation order and refuses a taken id', async () => {
      const gh = connection();
      const stat = connection({ id: 'openai', kind: 'static', displayName: 'OpenAI key', provider: null, clientSecret: null, createdAt: 1_700_000_001 });
      await h.storage.vault.connections.create(gh);
      await h.storage.vault.connections.create(stat);
      expect(await h.storage.vault.connections.get('github')).toEqual(gh);
      expect(await h.storage.vault.connections.get('openai')).toEqual(stat);
      expect(await h.storage.vault.connections.get('nope')).toBeNull();
      await expect(h.storage.vault.connections.create(connection({ displayName: 'dup' }))).rejects.toThrow();
      expect((await h.storage.vault.connections.get('github'))?.displayName).toBe(gh.displayName);
      const renamed = { ...gh, displayName: 'GitHub', clientSecret: null, updatedAt: 1_700_000_500 };
      expect(await h.storage.vault.connections.update(renamed)).toBe(true);
      expect(await h.storage.vault.connections.get('github')).toEqual(renamed);
      expect(await h.storage.vault.connections.update(connection({ id: 'ghost' }))).toBe(false);
      expect((await h.storage.vault.connections.list()).map((c) => c.id)).toEqual(['github', 'openai']);
      expect((await h.storage.vault.connections.list({ limit: 1, offset: 1 })).map((c) => c.id)).toEqual(['openai']);
    });

    it('deletes a connection together with every entry at it, and nothing else', async () => {
      await h.storage.vault.connections.create(connection());
      await h.storage.vault.connections.create(connection({ id: 'slack', createdAt: 1_700_000_001 }));
      await h.storage.vault.entries.create(entry());
      await h.storage.vault.entries.create(entry({ id: 'vle_2', userId: 'usr_bob' }));
      await h.storage.vault.entries.create(entry({ id: 'vle_3', connectionId: 'slack' }));
      expect(await h.storage.vault.connections.delete('github')).toBe(true);
      expect(await h.storage.vault.connections.get('github')).toBeNull();
      expect(await h.storage.vault.entries.get('vle_1')).toBeNull();
      expect(await h.storage.vault.entries.get('vle_2')).toBeNull();
      expect((await h.storage.vault.entries.get('vle_3'))?.connectionId).toBe('slack');
      expect(await h.storage.vault.connections.delete('github')).toBe(false);
    });

    it('rewraps a client secret only while the stored sealed value is the expected one', async () => {
      const gh = connection();
      await h.storage.vault.connections.create(gh);
      await h.storage.vault.connections.create(connection({ id: 'public', clientSecret: null }));
      await h.storage.vault.connections.create(connection({ id: 'fresh', clientSecret: { kekId: 'k2', wrappedKey: 'eA', ciphertext: 'eQ' } }));
      expect((await h.storage.vault.connections.listNotUnderKek('k2', { limit: 10 })).map((c) => c.id)).toEqual(['github']);
      const next = { kekId: 'k2', wrappedKey: 'bmV3', ciphertext: gh.clientSecret!.ciphertext };
      expect(await h.storage.vault.connections.rewrapSecret('github', { ...gh.clientSecret!, wrappedKey: 'c3RhbGU' }, next)).toBe(false);
      expect(await h.storage.vault.connections.rewrapSecret('github', gh.clientSecret!, next)).toBe(true);
      expect((await h.storage.vault.connections.get('github'))?.clientSecret).toEqual(next);
      expect(await h.storage.vault.connections.rewrapSecret('github', gh.clientSecret!, next)).toBe(false);
      expect(await h.storage.vault.connections.listNotUnderKek('k2', { limit: 10 })).toEqual([]);
    });
  });

  describe('entries', () => {
    it('revokeAllAtConnection marks every entry of the connection revoked in one statement, and no other', async () => {
      await h.storage.vault.entries.create(entry({ refreshLeaseUntil: 1_700_000_030 }));
      await h.storage.vault.entries.create(entry({ id: 'vle_2', userId: 'usr_bob', status: 'refresh_failed', lastError: 'invalid_grant' }));
      await h.storage.vault.entries.create(entry({ id: 'vle_3', connectionId: 'slack' }));
      expect(await h.storage.vault.entries.revokeAllAtConnection('github', 'connection_deleted', 1_700_000_100)).toBe(2);
      expect(await h.storage.vault.entries.get('vle_1')).toMatchObject({ status: 'revoked', lastError: 'connection_deleted', refreshLeaseUntil: null, updatedAt: 1_700_000_100 });
      expect(await h.storage.vault.entries.get('vle_2')).toMatchObject({ status: 'revoked', lastError: 'connection_deleted' });
      expect(await h.storage.vault.entries.get('vle_3')).toMatchObject({ status: 'ok', lastError: null });
      // A refresh lease cannot be taken on a revoked entry.
      expect(await h.storage.vault.entries.claimRefresh('vle_1', 'Y3Qx', 1_700_000_200, 1_700_000_100)).toBe(false);
    });

    it('round-trips, finds per user and connection, lists per user and per connection', async () => {
      const a = entry();
      const b = entry({ id: 'vle_2', connectionId: 'slack', createdAt: 1_700_000_001 });
      const c = entry({ id: 'vle_3', userId: 'usr_bob', status: 'refresh_failed', lastError: 'invalid_grant', createdAt: 1_700_000_002 });
      for (const e of [a, b, c]) await h.storage.vault.entries.create(e);
      expect(await h.storage.vault.entries.get('vle_1')).toEqual(a);
      expect(await h.storage.vault.entries.get('vle_3')).toEqual(c);
      expect(await h.storage.vault.entries.get('none')).toBeNull();
      expect(await h.storage.vault.entries.getFor('usr_alice', 'slack')).toEqual(b);
      expect(await h.storage.vault.entries.getFor('usr_bob', 'slack')).toBeNull();
      expect((await h.storage.vault.entries.listForUser('usr_alice')).map((e) => e.id)).toEqual(['vle_1', 'vle_2']);
      expect((await h.storage.vault.entries.listForConnection('github')).map((e) => e.id)).toEqual(['vle_1', 'vle_3']);
      expect((await h.storage.vault.entries.listForConnection('github', { limit: 1, offset: 1 })).map((e) => e.id)).toEqual(['vle_3']);
    });

    it('refuses a second entry for the same user and connection, and a taken id', async () => {
      await h.storage.vault.entries.create(entry());
      await expect(h.storage.vault.entries.create(entry({ id: 'vle_other' }))).rejects.toThrow();
      await expect(h.storage.vault.entries.create(entry({ userId: 'usr_bob' }))).rejects.toThrow();
      expect(await h.storage.vault.entries.listForConnection('github')).toHaveLength(1);
    });

    it('replaces the sealed value only while the ciphertext is the expected one: one of two racing refreshes wins', async () => {
      await h.storage.vault.entries.create(entry());
      const write = (ct: string) =>
        h.storage.vault.entries.replaceSealed('vle_1', 'Y3Qx', { sealed: { kekId: 'k2', wrappedKey: `w-${ct}`, ciphertext: ct }, status: 'ok', lastError: null, updatedAt: 1_700_000_100 });
      const results = await Promise.all([write('Zmlyc3Q'), write('c2Vjb25k')]);
      expect(results.filter(Boolean)).toHaveLength(1);
      const stored = await h.storage.vault.entries.get('vle_1');
      const winner = results[0] ? 'Zmlyc3Q' : 'c2Vjb25k';
      expect(stored?.sealed).toEqual({ kekId: 'k2', wrappedKey: `w-${winner}`, ciphertext: winner });
      expect(stored?.updatedAt).toBe(1_700_000_100);
      expect(stored?.createdAt).toBe(1_700_000_000);
    });

    it('marks status and last error, and clears them on a successful replace', async () => {
      await h.storage.vault.entries.create(entry());
      expect(await h.storage.vault.entries.setStatus('vle_1', 'refresh_failed', 'invalid_grant', 1_700_000_200)).toBe(true);
      expect(await h.storage.vault.entries.get('vle_1')).toMatchObject({ status: 'refresh_failed', lastError: 'invalid_grant', updatedAt: 1_700_000_200, sealed: entry().sealed });
      expect(await h.storage.vault.entries.setStatus('ghost', 'revoked', null, 1)).toBe(false);
      expect(await h.storage.vault.entries.setStatus('vle_1', 'ok', 'network_error', 1_700_000_250, 'ok')).toBe(false);
      expect((await h.storage.vault.entries.get('vle_1'))?.status).toBe('refresh_failed');
      const sealed = { kekId: 'k1', wrappedKey: 'bmV3', ciphertext: 'bmV3Y3Q' };
      // A refresh (requireStatus ok) must not revive a marked entry; a re-link (no requirement) repairs it.
      expect(await h.storage.vault.entries.replaceSealed('vle_1', 'Y3Qx', { sealed, status: 'ok', lastError: null, updatedAt: 1_700_000_300 }, 'ok')).toBe(false);
      expect(await h.storage.vault.entries.replaceSealed('vle_1', 'Y3Qx', { sealed, status: 'ok', lastError: null, updatedAt: 1_700_000_300 })).toBe(true);
      expect(await h.storage.vault.entries.get('vle_1')).toMatchObject({ status: 'ok', lastError: null, sealed });
    });

    it('lists entries under other KEKs in id order after a cursor, and rewraps by compare-and-set without touching the ciphertext', async () => {
      await h.storage.vault.entries.create(entry({ id: 'vle_b' }));
      await h.storage.vault.entries.create(entry({ id: 'vle_a', userId: 'usr_bob' }));
      await h.storage.vault.entries.create(entry({ id: 'vle_c', userId: 'usr_carol', sealed: { kekId: 'k2', wrappedKey: 'eA', ciphertext: 'eQ' } }));
      expect((await h.storage.vault.entries.listNotUnderKek('k2', { limit: 10 })).map((e) => e.id)).toEqual(['vle_a', 'vle_b']);
      expect((await h.storage.vault.entries.listNotUnderKek('k2', { afterId: 'vle_a', limit: 10 })).map((e) => e.id)).toEqual(['vle_b']);
      expect((await h.storage.vault.entries.listNotUnderKek('k2', { limit: 1 })).map((e) => e.id)).toEqual(['vle_a']);
      const old = entry().sealed;
      expect(await h.storage.vault.entries.rewrap('vle_a', { kekId: 'k1', wrappedKey: 'other' }, { kekId: 'k2', wrappedKey: 'bmV3' })).toBe(false);
      expect(await h.storage.vault.entries.rewrap('vle_a', old, { kekId: 'k2', wrappedKey: 'bmV3' })).toBe(true);
      expect((await h.storage.vault.entries.get('vle_a'))?.sealed).toEqual({ kekId: 'k2', wrappedKey: 'bmV3', ciphertext: old.ciphertext });
      expect(await h.storage.vault.entries.rewrap('vle_a', old, { kekId: 'k2', wrappedKey: 'again' })).toBe(false);
      expect((await h.storage.vault.entries.listNotUnderKek('k2', { limit: 10 })).map((e) => e.id)).toEqual(['vle_b']);
    });

    it('grants the refresh lease to one claimer, only on an unchanged ok entry, until it expires or a write releases it', async () => {
      await h.storage.vault.entries.create(entry());
      const claims = await Promise.all([1, 2, 3].map(() => h.storage.vault.entries.claimRefresh('vle_1', 'Y3Qx', 1_700_000_030, 1_700_000_000)));
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect((await h.storage.vault.entries.get('vle_1'))?.refreshLeaseUntil).toBe(1_700_000_030);
      expect(await h.storage.vault.entries.claimRefresh('vle_1', 'Y3Qx', 1_700_000_040, 1_700_000_010)).toBe(false);
      // An expired lease can be taken over.
      expect(await h.storage.vault.entries.claimRefresh('vle_1', 'Y3Qx', 1_700_000_060, 1_700_000_030)).toBe(true);
      const sealed = { kekId: 'k1', wrappedKey: 'bmV3', ciphertext: 'bmV3Y3Q' };
      expect(await h.storage.vault.entries.replaceSealed('vle_1', 'Y3Qx', { sealed, status: 'ok', lastError: null, updatedAt: 1_700_000_031 })).toBe(true);
      expect((await h.storage.vault.entries.get('vle_1'))?.refreshLeaseUntil).toBeNull();
      // A stale ciphertext cannot claim: someone refreshed since it was read.
      expect(await h.storage.vault.entries.claimRefresh('vle_1', 'Y3Qx', 1_700_000_090, 1_700_000_031)).toBe(false);
      expect(await h.storage.vault.entries.claimRefresh('vle_1', 'bmV3Y3Q', 1_700_000_090, 1_700_000_031)).toBe(true);
      expect(await h.storage.vault.entries.setStatus('vle_1', 'refresh_failed', 'invalid_grant', 1_700_000_032)).toBe(true);
      expect((await h.storage.vault.entries.get('vle_1'))?.refreshLeaseUntil).toBeNull();
      expect(await h.storage.vault.entries.claimRefresh('vle_1', 'bmV3Y3Q', 1_700_000_090, 1_700_000_032)).toBe(false);
    });

    it('deletes one entry', async () => {
      await h.storage.vault.entries.create(entry());
      expect(await h.storage.vault.entries.delete('vle_1')).toBe(true);
      expect(await h.storage.vault.entries.delete('vle_1')).toBe(false);
      expect(await h.storage.vault.entries.get('vle_1')).toBeNull();
    });
  });

  it('rolls back vault writes with the surrounding transaction', async () => {
    await expect(
      h.storage.transaction(async (tx) => {
        await tx.vault.connections.create(connection());
        await tx.vault.entries.create(entry());
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await h.storage.vault.connections.get('github')).toBeNull();
    expect(await h.storage.vault.entries.get('vle_1')).toBeNull();
  });
});
