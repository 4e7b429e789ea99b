/**
 * The passkeys table (issue 4, HU-1), run unchanged against SQLite and PostgreSQL: round trips,
 * per-user listing, the compare-and-set on the signature counter (WebAuthn L3 §6.1.1) and
 * deletion scoped to the owner.
 */
import { describe, expect, it } from 'vitest';
import type { PasskeyRecord } from '../../src/storage/records.ts';
import { BACKENDS, useStorage } from './fixtures.ts';

function passkey(overrides: Partial<PasskeyRecord> = {}): PasskeyRecord {
  return {
    credentialId: 'cred-A_x-1',
    userId: 'usr_alice',
    publicKey: 'pQECAyYgASFYIPublicKeyBytes',
    counter: 0,
    transports: ['internal', 'hybrid'],
    deviceType: 'singleDevice',
    backedUp: false,
    aaguid: '00000000-0000-0000-0000-000000000000',
    name: 'Laptop',
    createdAt: 1_700_000_000,
    lastUsedAt: null,
    ...overrides,
  };
}

describe.each(BACKENDS)('storage contract (%s): WebAuthn credentials', (backend) => {
  const h = useStorage(backend);

  it('round-trips every field, and answers null for an unknown credential id', async () => {
    const single = passkey();
    const synced = passkey({ credentialId: 'cred-B', deviceType: 'multiDevice', backedUp: true, transports: [], counter: 7, lastUsedAt: 1_700_000_500 });
    await h.storage.passkeys.create(single);
    await h.storage.passkeys.create(synced);
    expect(await h.storage.passkeys.get('cred-A_x-1')).toEqual(single);
    expect(await h.storage.passkeys.get('cred-B')).toEqual(synced);
    expect(await h.storage.passkeys.get('cred-unknown')).toBeNull();
  });

  it('refuses a credential id registered twice (to any user) and keeps the first', async () => {
    await h.storage.passkeys.create(passkey());
    await expect(h.storage.passkeys.create(passkey({ userId: 'usr_mallory', name: 'Stolen' }))).rejects.toThrow();
    expect((await h.storage.passkeys.get('cred-A_x-1'))?.userId).toBe('usr_alice');
  });

  it("lists only the user's own credentials, oldest first", async () => {
    await h.storage.passkeys.create(passkey({ credentialId: 'c2', createdAt: 20 }));
    await h.storage.passkeys.create(passkey({ credentialId: 'c1', createdAt: 10 }));
    await h.storage.passkeys.create(passkey({ credentialId: 'c3', userId: 'usr_bob', createdAt: 5 }));
    expect((await h.storage.passkeys.listForUser('usr_alice')).map((p) => p.credentialId)).toEqual(['c1', 'c2']);
    expect(await h.storage.passkeys.listForUser('usr_nobody')).toEqual([]);
  });

  it('WebAuthn L3 §6.1.1: the counter moves by compare-and-set; a stale expected counter changes nothing', async () => {
    await h.storage.passkeys.create(passkey({ counter: 3 }));
    expect(await h.storage.passkeys.recordUse('cred-A_x-1', { expectedCounter: 3, counter: 4, backedUp: true, at: 1_700_000_100 })).toBe(true);
    // A second use presenting the same starting point (a concurrent replay) loses.
    expect(await h.storage.passkeys.recordUse('cred-A_x-1', { expectedCounter: 3, counter: 4, backedUp: false, at: 1_700_000_200 })).toBe(false);
    expect(await h.storage.passkeys.recordUse('cred-unknown', { expectedCounter: 0, counter: 1, backedUp: false, at: 1 })).toBe(false);
    expect(await h.storage.passkeys.get('cred-A_x-1')).toMatchObject({ counter: 4, backedUp: true, lastUsedAt: 1_700_000_100 });
  });

  it('exactly one of two concurrent uses from the same counter wins', async () => {
    await h.storage.passkeys.create(passkey({ counter: 9 }));
    const use = { expectedCounter: 9, counter: 10, backedUp: false, at: 1_700_000_300 };
    const results = await Promise.all([h.storage.passkeys.recordUse('cred-A_x-1', use), h.storage.passkeys.recordUse('cred-A_x-1', use)]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it("delete removes only the owner's credential", async () => {
    await h.storage.passkeys.create(passkey());
    expect(await h.storage.passkeys.delete('cred-A_x-1', 'usr_bob')).toBe(false);
    expect(await h.storage.passkeys.delete('cred-A_x-1', 'usr_alice')).toBe(true);
    expect(await h.storage.passkeys.delete('cred-A_x-1', 'usr_alice')).toBe(false);
    expect(await h.storage.passkeys.get('cred-A_x-1')).toBeNull();
  });
});
