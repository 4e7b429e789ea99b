/**
 * Issue 5 storage contract, on SQLite and PostgreSQL: linked upstream identities (one per
 * provider and `sub`) and the single-use state of pending upstream logins (SSO federation).
 */
import { describe, expect, it } from 'vitest';
import type { UpstreamIdentityRecord, UpstreamLoginStateRecord } from '../../src/storage/records.ts';
import { BACKENDS, useStorage } from './fixtures.ts';

function identity(overrides: Partial<UpstreamIdentityRecord> = {}): UpstreamIdentityRecord {
  return { providerId: 'corp', subject: 'sub-1', userId: 'usr_alice', email: 'alice@corp.example', createdAt: 1_700_000_000, lastLoginAt: null, ...overrides };
}

function state(overrides: Partial<UpstreamLoginStateRecord> = {}): UpstreamLoginStateRecord {
  return {
    stateHash: 'hash-1',
    interactionId: 'int_1',
    providerId: 'corp',
    nonce: 'nonce-“1”',
    codeVerifier: 'verifier-1',
    createdAt: 1_700_000_000,
    expiresAt: 1_700_000_600,
    ...overrides,
  };
}

describe.each(BACKENDS)('storage contract (%s): upstream identities', (backend) => {
  const h = useStorage(backend);

  it('round-trips, finds by (provider, sub) only, lists per user, touches and deletes', async () => {
    const a = identity();
    await h.storage.upstreamIdentities.create(a);
    // The same sub at another provider is another identity (OIDC Core §5.7).
    const b = identity({ providerId: 'other', createdAt: 1_700_000_001, email: null });
    await h.storage.upstreamIdentities.create(b);
    await h.storage.upstreamIdentities.create(identity({ subject: 'sub-2', userId: 'usr_bob' }));
    expect(await h.storage.upstreamIdentities.get('corp', 'sub-1')).toEqual(a);
    expect(await h.storage.upstreamIdentities.get('other', 'sub-1')).toEqual(b);
    expect(await h.storage.upstreamIdentities.get('corp', 'SUB-1')).toBeNull();
    expect(await h.storage.upstreamIdentities.listForUser('usr_alice')).toEqual([a, b]);
    expect(await h.storage.upstreamIdentities.touch('corp', 'sub-1', 'new@corp.example', 1_700_000_500)).toBe(true);
    expect(await h.storage.upstreamIdentities.get('corp', 'sub-1')).toEqual({ ...a, email: 'new@corp.example', lastLoginAt: 1_700_000_500 });
    expect(await h.storage.upstreamIdentities.touch('corp', 'ghost', null, 1)).toBe(false);
    expect(await h.storage.upstreamIdentities.delete('corp', 'sub-1')).toBe(true);
    expect(await h.storage.upstreamIdentities.delete('corp', 'sub-1')).toBe(false);
    expect(await h.storage.upstreamIdentities.listForUser('usr_alice')).toEqual([b]);
  });

  it('refuses a second link of the same (provider, sub), keeping the first', async () => {
    await h.storage.upstreamIdentities.create(identity());
    await expect(h.storage.upstreamIdentities.create(identity({ userId: 'usr_mallory' }))).rejects.toThrow();
    expect((await h.storage.upstreamIdentities.get('corp', 'sub-1'))?.userId).toBe('usr_alice');
  });

  it('a link written in a rolled-back transaction does not exist', async () => {
    await expect(
      h.storage.transaction(async (tx) => {
        await tx.upstreamIdentities.create(identity());
        throw new Error('refused after linking');
      }),
    ).rejects.toThrow('refused after linking');
    expect(await h.storage.upstreamIdentities.get('corp', 'sub-1')).toBeNull();
  });

  describe('pending login state', () => {
    it('is read without being used, consumed exactly once, and never after expiry', async () => {
      const s = state();
      await h.storage.upstreamIdentities.states.create(s);
      expect(await h.storage.upstreamIdentities.states.get('hash-1', 1_700_000_100)).toEqual(s);
      expect(await h.storage.upstreamIdentities.states.get('hash-1', 1_700_000_600)).toBeNull();
      expect(await h.storage.upstreamIdentities.states.consume('hash-1', 1_700_000_600)).toBeNull();
      expect(await h.storage.upstreamIdentities.states.consume('hash-1', 1_700_000_100)).toEqual(s);
      expect(await h.storage.upstreamIdentities.states.consume('hash-1', 1_700_000_100)).toBeNull();
      expect(await h.storage.upstreamIdentities.states.get('hash-1', 1_700_000_100)).toBeNull();
    });

    it('concurrent consumers: exactly one wins', async () => {
      await h.storage.upstreamIdentities.states.create(state());
      const results = await Promise.all(Array.from({ length: 8 }, () => h.storage.upstreamIdentities.states.consume('hash-1', 1_700_000_100)));
      expect(results.filter((r) => r !== null)).toHaveLength(1);
    });

    it('purges only expired states', async () => {
      await h.storage.upstreamIdentities.states.create(state());
      await h.storage.upstreamIdentities.states.create(state({ stateHash: 'hash-2', expiresAt: 1_700_001_000 }));
      expect(await h.storage.upstreamIdentities.states.purgeExpired(1_700_000_700)).toBe(1);
      expect(await h.storage.upstreamIdentities.states.get('hash-2', 1_700_000_700)).not.toBeNull();
    });
  });
});
