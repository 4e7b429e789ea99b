/**
 * Unlinking (issue 5, VA-1): the entry stops releasing at once, the tokens are revoked at the
 * provider (RFC 7009), and a provider that cannot be reached leaves a revoked entry to retry.
 * Static keys (VA-2) are kept and released the same way, with nothing to revoke.
 */
import { describe, expect, it } from 'vitest';
import { useStorage } from '../storage/fixtures.ts';
import { VaultEntryUnusableError, VaultInvalidConnectionError, VaultNotFoundError } from '../../src/vault/errors.ts';
import { createGithubLike, createStaticOpenAi, directRefresh, harness, linkThroughProvider, userinfo, useThirdPartyProvider } from './support/vault-fixture.ts';
import { open } from '../../src/vault/envelope.ts';
import { decodePayload } from '../../src/vault/payload.ts';

describe('vault unlink and static keys (real provider on loopback)', () => {
  const h = useStorage('sqlite');
  const tp = useThirdPartyProvider();

  async function refreshTokenOf(x: ReturnType<typeof harness>, userId: string): Promise<string> {
    const e = await h.storage.vault.entries.getFor(userId, 'tp');
    const p = decodePayload(await open(x.keys, { kind: 'entry', entryId: e!.id, userId, connectionId: 'tp' }, e!.sealed));
    return p.kind === 'oauth' ? p.refresh_token! : '';
  }

  it('revokes refresh and access token at the provider and forgets the entry', async () => {
    tp.provider.setRotation(true);
    const x = harness(h, tp.provider);
    const vault = x.vault();
    await createGithubLike(vault, tp.provider);
    await linkThroughProvider(vault, tp.provider, 'usr_alice', 'alice');
    const { accessToken } = await vault.accessToken('usr_alice', 'tp');
    const refreshToken = await refreshTokenOf(x, 'usr_alice');
    x.calls.length = 0;
    expect(await vault.unlink('usr_alice', 'tp')).toEqual({ providerRevocation: 'revoked' });
    expect(x.calls).toEqual(['revoke:refresh_token', 'revoke:access_token']);
    expect((await userinfo(tp.provider, accessToken)).status).toBe(401);
    expect((await directRefresh(tp.provider, refreshToken)).error).toBe('invalid_grant');
    expect(await vault.listForUser('usr_alice')).toEqual([]);
    await expect(vault.accessToken('usr_alice', 'tp')).rejects.toBeInstanceOf(VaultNotFoundError);
    await expect(vault.unlink('usr_alice', 'tp')).rejects.toBeInstanceOf(VaultNotFoundError);
  });

  it('with the provider unreachable: stops releasing at once, keeps a revoked entry, and unlinking again finishes the job', async () => {
    const x = harness(h, tp.provider);
    const vault = x.vault();
    await createGithubLike(vault, tp.provider);
    await linkThroughProvider(vault, tp.provider, 'usr_alice', 'alice');
    const { accessToken } = await vault.accessToken('usr_alice', 'tp');
    x.down = true;
    expect(await vault.unlink('usr_alice', 'tp')).toEqual({ providerRevocation: 'failed' });
    expect(await vault.listForUser('usr_alice')).toMatchObject([{ status: 'revoked', lastError: 'revocation_failed:network_error' }]);
    await expect(vault.accessToken('usr_alice', 'tp')).rejects.toBeInstanceOf(VaultEntryUnusableError);
    expect((await userinfo(tp.provider, accessToken)).status).toBe(200);
    x.down = false;
    expect(await vault.unlink('usr_alice', 'tp')).toEqual({ providerRevocation: 'revoked' });
    expect((await userinfo(tp.provider, accessToken)).status).toBe(401);
    expect(await vault.listForUser('usr_alice')).toEqual([]);
  });

  it('a refresh in flight when the account is unlinked does not bring the entry back', async () => {
    tp.provider.setRotation(true);
    const x = harness(h, tp.provider);
    const vault = x.vault();
    await createGithubLike(vault, tp.provider);
    await linkThroughProvider(vault, tp.provider, 'usr_alice', 'alice');
    let open!: () => void;
    x.refreshGate = new Promise<void>((resolve) => (open = resolve));
    const gated = new Promise<void>((resolve) => (x.onRefreshGated = resolve));
    x.clock += 3600;
    const refreshing = vault.accessToken('usr_alice', 'tp').catch((e: unknown) => e);
    await gated;
    // The provider refuses the revocation, so the entry stays (revoked) while the refresh completes.
    x.failRevoke = true;
    // The unlink marks the entry revoked, then waits for the refresh in flight before revoking what
    // is stored by then (vault/unlink.ts): the gate opens while it waits.
    const unlinking = vault.unlink('usr_alice', 'tp');
    open();
    expect(await unlinking).toEqual({ providerRevocation: 'failed' });
    expect(await refreshing).toBeInstanceOf(VaultEntryUnusableError);
    expect(await vault.listForUser('usr_alice')).toMatchObject([{ status: 'revoked', lastError: 'revocation_failed:network_error' }]);
    await expect(vault.accessToken('usr_alice', 'tp')).rejects.toBeInstanceOf(VaultEntryUnusableError);
  });

  it('an entry whose tokens can no longer be decrypted is forgotten as undecryptable, and does not hold back deleting the connection', async () => {
    const x = harness(h, tp.provider);
    const vault = x.vault();
    await createGithubLike(vault, tp.provider);
    await linkThroughProvider(vault, tp.provider, 'usr_alice', 'alice');
    await linkThroughProvider(vault, tp.provider, 'usr_bob', 'bob');
    const alice = (await h.storage.vault.entries.getFor('usr_alice', 'tp'))!;
    const bob = (await h.storage.vault.entries.getFor('usr_bob', 'tp'))!;
    // Bob's ciphertext under Alice's entry: authenticated decryption fails (the binding differs).
    const damaged = { ...alice.sealed, ciphertext: bob.sealed.ciphertext };
    expect(await h.storage.vault.entries.replaceSealed(alice.id, alice.sealed.ciphertext, { sealed: damaged, status: 'ok', lastError: null, updatedAt: alice.updatedAt }, 'ok')).toBe(true);
    const bobToken = (await vault.accessToken('usr_bob', 'tp')).accessToken;
    // Not 'failed': nothing is kept to retry with, and the connection goes.
    expect(await vault.deleteConnection('tp')).toEqual({ deleted: true, unlinked: 2, revocationFailed: 1, failedEntryIds: [] });
    expect(await h.storage.vault.entries.getFor('usr_alice', 'tp')).toBeNull();
    expect((await userinfo(tp.provider, bobToken)).status).toBe(401);
    expect(await vault.getConnection('tp')).toBeNull();
  });

  it('deleting a connection unlinks every account at it; deprovisioning a user unlinks all of theirs', async () => {
    const x = harness(h, tp.provider);
    const vault = x.vault();
    await createGithubLike(vault, tp.provider);
    await createStaticOpenAi(vault);
    await linkThroughProvider(vault, tp.provider, 'usr_alice', 'alice');
    await linkThroughProvider(vault, tp.provider, 'usr_bob', 'bob');
    await vault.storeStaticKey('usr_bob', 'openai', 'sk-bob');
    const aliceToken = (await vault.accessToken('usr_alice', 'tp')).accessToken;
    const bobToken = (await vault.accessToken('usr_bob', 'tp')).accessToken;
    expect(await vault.deleteConnection('tp')).toEqual({ deleted: true, unlinked: 2, revocationFailed: 0, failedEntryIds: [] });
    expect((await userinfo(tp.provider, aliceToken)).status).toBe(401);
    expect((await userinfo(tp.provider, bobToken)).status).toBe(401);
    expect(await vault.getConnection('tp')).toBeNull();
    expect((await vault.listForUser('usr_bob')).map((e) => e.connectionId)).toEqual(['openai']);
    expect(await vault.unlinkAllForUser('usr_bob')).toEqual({ unlinked: 1, revocationFailed: 0 });
    expect(await vault.listForUser('usr_bob')).toEqual([]);
  });

  it('keeps a static key sealed, releases it only as a static key, and unlinks it with nothing to revoke', async () => {
    const x = harness(h, tp.provider);
    const vault = x.vault();
    await createGithubLike(vault, tp.provider);
    // A client secret given for a static connection is refused (it would be dropped unseen), and nothing is stored.
    await expect(vault.createConnection({ id: 'openai', kind: 'static', displayName: 'OpenAI', clientSecret: 'ignored' })).rejects.toBeInstanceOf(VaultInvalidConnectionError);
    expect(await vault.getConnection('openai')).toBeNull();
    const conn = await createStaticOpenAi(vault);
    expect(conn).toMatchObject({ kind: 'static', provider: null, hasClientSecret: false });
    await vault.storeStaticKey('usr_alice', 'openai', 'sk-live-abcdef');
    expect(JSON.stringify(await h.raw('select * from vault_entries'))).not.toContain('sk-live-abcdef');
    expect(await vault.staticKey('usr_alice', 'openai')).toBe('sk-live-abcdef');
    await expect(vault.accessToken('usr_alice', 'openai')).rejects.toBeInstanceOf(VaultNotFoundError);
    await expect(vault.storeStaticKey('usr_alice', 'tp', 'sk')).rejects.toBeInstanceOf(VaultNotFoundError);
    await expect(vault.staticKey('usr_bob', 'openai')).rejects.toBeInstanceOf(VaultNotFoundError);
    await vault.storeStaticKey('usr_alice', 'openai', 'sk-rotated');
    expect(await vault.staticKey('usr_alice', 'openai')).toBe('sk-rotated');
    expect(await vault.unlink('usr_alice', 'openai')).toEqual({ providerRevocation: 'not_supported' });
    expect(x.calls).toEqual([]);
    await expect(vault.staticKey('usr_alice', 'openai')).rejects.toBeInstanceOf(VaultNotFoundError);
  });
});
