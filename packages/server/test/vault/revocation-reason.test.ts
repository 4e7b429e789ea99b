/**
 * Why an entry is revoked stays recorded while its tokens are revoked at the provider (RFC 7009):
 * a connection's deletion marks every entry `connection_deleted` and deprovisioning marks the
 * user's `user_deprovisioned` before the first provider call; the unlink of each entry must not
 * erase that reason (vault/unlink.ts, `entries.markRevoked`). A revocation that fails records
 * `revocation_failed:<code>`, which tells the user to unlink again (README, *Unlinking*).
 */
import { describe, expect, it, vi } from 'vitest';
import { BACKENDS, useStorage } from '../storage/fixtures.ts';
import { TokenVault } from '../../src/vault/service.ts';
import type { Fetch } from '../../src/vault/provider-client.ts';
import { createGithubLike, harness, linkThroughProvider, useThirdPartyProvider, type Harness } from './support/vault-fixture.ts';

describe.each(BACKENDS)('the reason an entry was revoked (%s)', (backend) => {
  const h = useStorage(backend);
  const tp = useThirdPartyProvider();

  /** A vault whose provider calls first note every entry's `last_error` as stored at that moment. */
  function observingVault(x: Harness, seen: Array<Record<string, string | null>>): TokenVault {
    const fetch: Fetch = async (input, init) => {
      if (init.body.has('token_type_hint')) {
        const rows = [...(await h.storage.vault.entries.listForUser('usr_alice')), ...(await h.storage.vault.entries.listForUser('usr_bob'))];
        seen.push(Object.fromEntries(rows.map((e) => [e.userId, e.lastError])));
      }
      return x.fetch(input, init);
    };
    return new TokenVault({ storage: h.storage, keys: x.keys, fetch, now: () => x.clock });
  }

  async function twoLinked(): Promise<{ x: Harness; vault: TokenVault; seen: Array<Record<string, string | null>> }> {
    const x = harness(h, tp.provider);
    const seen: Array<Record<string, string | null>> = [];
    const vault = observingVault(x, seen);
    await createGithubLike(vault, tp.provider);
    await linkThroughProvider(vault, tp.provider, 'usr_alice', 'alice');
    await linkThroughProvider(vault, tp.provider, 'usr_bob', 'bob');
    return { x, vault, seen };
  }

  it('deleteConnection: every entry says connection_deleted while tokens are revoked; one kept after a failed revocation says revocation_failed', async () => {
    const { x, vault, seen } = await twoLinked();
    expect(await vault.deleteConnection('tp')).toEqual({ deleted: true, unlinked: 2, revocationFailed: 0, failedEntryIds: [] });
    // Two tokens per entry, entries in either order (same creation second); the entry being
    // unlinked included (it was erased to null before the fix).
    const deleted = 'connection_deleted';
    expect(seen.map((snapshot) => Object.values(snapshot))).toEqual([[deleted, deleted], [deleted, deleted], [deleted], [deleted]]);

    const again = await twoLinked();
    again.x.failRevoke = true;
    const result = await again.vault.deleteConnection('tp');
    expect(result).toMatchObject({ deleted: false, unlinked: 2, revocationFailed: 2 });
    expect(again.seen[0]).toEqual({ usr_alice: 'connection_deleted', usr_bob: 'connection_deleted' });
    const kept = [...(await h.storage.vault.entries.listForUser('usr_alice')), ...(await h.storage.vault.entries.listForUser('usr_bob'))];
    expect(kept).toMatchObject([
      { status: 'revoked', lastError: 'revocation_failed:network_error' },
      { status: 'revoked', lastError: 'revocation_failed:network_error' },
    ]);
  });

  it('deleteConnection interrupted half-way (the database lost): the entries keep connection_deleted, not an empty reason', async () => {
    const { vault } = await twoLinked();
    // Fails after the first entry's unlink marked it, before anything was sent to the provider.
    const spy = vi.spyOn(h.storage.vault.connections, 'get').mockRejectedValue(new Error('connection terminated'));
    try {
      await expect(vault.deleteConnection('tp')).rejects.toThrow('connection terminated');
    } finally {
      spy.mockRestore();
    }
    for (const userId of ['usr_alice', 'usr_bob']) {
      expect(await h.storage.vault.entries.getFor(userId, 'tp')).toMatchObject({ status: 'revoked', lastError: 'connection_deleted' });
    }
  });

  it('deprovisioning keeps user_deprovisioned while revoking; a plain unlink clears a refresh error that is not its reason', async () => {
    const { vault, seen } = await twoLinked();
    const alice = (await h.storage.vault.entries.getFor('usr_alice', 'tp'))!;
    const bob = (await h.storage.vault.entries.getFor('usr_bob', 'tp'))!;
    // What account/deprovision.ts does in its transaction, before unlinkAllForUser runs after the commit.
    expect(await h.storage.vault.entries.setStatus(alice.id, 'revoked', 'user_deprovisioned', alice.updatedAt)).toBe(true);
    // A transient refresh failure leaves an ok entry with the code (refresh.ts failed()).
    expect(await h.storage.vault.entries.setStatus(bob.id, 'ok', 'network_error', bob.updatedAt)).toBe(true);
    expect(await vault.unlinkAllForUser('usr_alice')).toEqual({ unlinked: 1, revocationFailed: 0 });
    expect(await vault.unlink('usr_bob', 'tp')).toEqual({ providerRevocation: 'revoked' });
    expect(seen).toEqual([
      { usr_alice: 'user_deprovisioned', usr_bob: 'network_error' },
      { usr_alice: 'user_deprovisioned', usr_bob: 'network_error' },
      { usr_bob: null },
      { usr_bob: null },
    ]);
    expect(await vault.listForUser('usr_alice')).toEqual([]);
    expect(await vault.listForUser('usr_bob')).toEqual([]);
  });
});
