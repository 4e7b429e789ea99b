/**
 * Key rotation and key failures (issue 5, VA-1): rewrapping moves every data key to the new KEK
 * while the server keeps serving, never touching a ciphertext; a wrong KEK or a ciphertext moved
 * between entries yields a named error and no plaintext, and the entry is not marked.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BACKENDS, useStorage } from '../storage/fixtures.ts';
import { LocalKeyEncryptionKeys } from '../../src/vault/kek.ts';
import { rewrapAll } from '../../src/vault/rotation.ts';
import { VaultDecryptError, VaultEntryUnusableError, VaultKeyUnknownError } from '../../src/vault/errors.ts';
import { open } from '../../src/vault/envelope.ts';
import { decodePayload } from '../../src/vault/payload.ts';
import { entryBinding } from '../../src/vault/refresh.ts';
import { afterEntryRead, createGithubLike, createStaticOpenAi, directRefresh, harness, linkThroughProvider, userinfo, useThirdPartyProvider } from './support/vault-fixture.ts';

describe.each(BACKENDS)('vault key rotation and key failures (%s)', (backend) => {
  const h = useStorage(backend);
  const tp = useThirdPartyProvider();

  it('rewraps every entry and connection secret to the new KEK without downtime or ciphertext changes', async () => {
    tp.provider.setRotation(true);
    const x = harness(h, tp.provider);
    const k1 = { id: 'k1', key: randomBytes(32) };
    const k2 = { id: 'k2', key: randomBytes(32) };
    x.keys = new LocalKeyEncryptionKeys(k1);
    const old = x.vault();
    await createGithubLike(old, tp.provider);
    await createStaticOpenAi(old);
    await linkThroughProvider(old, tp.provider, 'usr_alice', 'alice');
    await linkThroughProvider(old, tp.provider, 'usr_bob', 'bob');
    await old.storeStaticKey('usr_carol', 'openai', 'sk-carol');
    const before = await h.raw('select id, kek_id, wrapped_key, ciphertext from vault_entries order by id');

    // Deploy: k2 current, k1 still readable. Entries under k1 are served while the rewrap runs.
    const rotatingKeys = new LocalKeyEncryptionKeys(k2, [k1]);
    const rotating = x.vault(rotatingKeys);
    const [report, released] = await Promise.all([rewrapAll(h.storage, rotatingKeys), rotating.accessToken('usr_alice', 'tp')]);
    expect((await userinfo(tp.provider, released.accessToken)).status).toBe(200);
    expect(report).toEqual({ rewrapped: 4, skipped: 0, failed: [] });
    const after = await h.raw('select id, kek_id, wrapped_key, ciphertext from vault_entries order by id');
    expect(after.map((r) => r.kek_id)).toEqual(['k2', 'k2', 'k2']);
    expect(after.map((r) => r.ciphertext)).toEqual(before.map((r) => r.ciphertext));
    expect(after.map((r) => r.wrapped_key)).not.toEqual(before.map((r) => r.wrapped_key));
    expect((await h.raw("select client_secret_kek_id from vault_connections where id = 'tp'"))[0]?.client_secret_kek_id).toBe('k2');
    expect(await rewrapAll(h.storage, rotatingKeys)).toEqual({ rewrapped: 0, skipped: 0, failed: [] });

    // k1 retired: everything, the connection's client secret included, works with k2 alone.
    const retired = x.vault(new LocalKeyEncryptionKeys(k2));
    expect(await retired.staticKey('usr_carol', 'openai')).toBe('sk-carol');
    x.clock += 3600;
    const refreshed = await retired.accessToken('usr_bob', 'tp');
    expect(await userinfo(tp.provider, refreshed.accessToken)).toEqual({ status: 200, sub: 'bob' });
  });

  it('a refresh refused while the entry is rewrapped marks it refresh_failed without undoing the rewrap', async () => {
    tp.provider.setRotation(true);
    const x = harness(h, tp.provider);
    const k1 = { id: 'k1', key: randomBytes(32) };
    const k2 = { id: 'k2', key: randomBytes(32) };
    x.keys = new LocalKeyEncryptionKeys(k1);
    const vault = x.vault();
    await createGithubLike(vault, tp.provider);
    await linkThroughProvider(vault, tp.provider, 'usr_alice', 'alice');
    const entry = (await h.storage.vault.entries.getFor('usr_alice', 'tp'))!;
    // The stored refresh token is spent behind the vault's back: the next refresh gets invalid_grant.
    const stored = decodePayload(await open(x.keys, entryBinding(entry), entry.sealed));
    expect(stored.kind === 'oauth' && (await directRefresh(tp.provider, stored.refresh_token!)).status).toBe(200);
    const rotatingKeys = new LocalKeyEncryptionKeys(k2, [k1]);
    const rotating = x.vault(rotatingKeys);
    x.clock += 3600;
    // The rewrap runs right after the refresh read the row (its second read, after the provider's answer).
    const rewrap = afterEntryRead(h, 2, async () => expect(await rewrapAll(h.storage, rotatingKeys)).toMatchObject({ rewrapped: 2 }));
    try {
      await expect(rotating.accessToken('usr_alice', 'tp')).rejects.toBeInstanceOf(VaultEntryUnusableError);
    } finally {
      rewrap.restore();
    }
    expect(rewrap.reads()).toBeGreaterThanOrEqual(2);
    const after = (await h.storage.vault.entries.getFor('usr_alice', 'tp'))!;
    expect(after).toMatchObject({ status: 'refresh_failed', lastError: 'invalid_grant' });
    // Still under k2: k1 can be retired, the entry still opens (its tokens can still be revoked).
    expect(after.sealed.kekId).toBe('k2');
    await expect(open(new LocalKeyEncryptionKeys(k2), entryBinding(after), after.sealed)).resolves.toBeDefined();
  });

  it('reports rows it cannot unwrap without stopping, and leaves them as they were', async () => {
    const x = harness(h, tp.provider);
    const k1 = { id: 'k1', key: randomBytes(32) };
    x.keys = new LocalKeyEncryptionKeys(k1);
    const vault = x.vault();
    await createStaticOpenAi(vault);
    await vault.storeStaticKey('usr_alice', 'openai', 'sk-alice');
    await vault.storeStaticKey('usr_bob', 'openai', 'sk-bob');
    const [alice] = await vault.listForUser('usr_alice');
    await h.raw(`update vault_entries set kek_id = 'k0' where id = '${alice!.id}'`);
    const report = await rewrapAll(h.storage, new LocalKeyEncryptionKeys({ id: 'k2', key: randomBytes(32) }, [k1]));
    expect(report).toEqual({ rewrapped: 1, skipped: 0, failed: [{ kind: 'entry', id: alice!.id, code: 'ERR_VAULT_KEK_UNKNOWN' }] });
    expect((await h.storage.vault.entries.get(alice!.id))?.sealed.kekId).toBe('k0');
  });

  it('a wrong KEK yields VaultDecryptError, not plaintext and not a marked entry', async () => {
    const x = harness(h, tp.provider);
    const vault = x.vault();
    await createGithubLike(vault, tp.provider);
    await linkThroughProvider(vault, tp.provider, 'usr_alice', 'alice');
    const wrong = x.vault(new LocalKeyEncryptionKeys({ id: 'k1', key: randomBytes(32) }));
    await expect(wrong.accessToken('usr_alice', 'tp')).rejects.toBeInstanceOf(VaultDecryptError);
    x.clock += 3600;
    await expect(wrong.accessToken('usr_alice', 'tp')).rejects.toBeInstanceOf(VaultDecryptError);
    const unknown = x.vault(new LocalKeyEncryptionKeys({ id: 'k9', key: randomBytes(32) }));
    await expect(unknown.accessToken('usr_alice', 'tp')).rejects.toBeInstanceOf(VaultKeyUnknownError);
    expect(x.calls).toEqual(['authorization_code']);
    expect((await vault.listForUser('usr_alice'))[0]).toMatchObject({ status: 'ok', lastError: null });
    expect((await userinfo(tp.provider, (await vault.accessToken('usr_alice', 'tp')).accessToken)).status).toBe(200);
  });

  it('ciphertexts swapped between two entries in the database open for neither user', async () => {
    const x = harness(h, tp.provider);
    const vault = x.vault();
    await createStaticOpenAi(vault);
    await vault.storeStaticKey('usr_alice', 'openai', 'sk-alice');
    await vault.storeStaticKey('usr_mallory', 'openai', 'sk-mallory');
    const [a] = await vault.listForUser('usr_alice');
    const [m] = await vault.listForUser('usr_mallory');
    // Mallory, with write access to the database, copies Alice's sealed value onto her own row.
    await h.raw(`update vault_entries set (kek_id, wrapped_key, ciphertext) = (select kek_id, wrapped_key, ciphertext from vault_entries where id = '${a!.id}') where id = '${m!.id}'`);
    const err = await vault.staticKey('usr_mallory', 'openai').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VaultDecryptError);
    expect(String((err as Error).message)).not.toContain('sk-alice');
    // Only the ciphertext moved (wrapped key left in place): still refused.
    const stored = await h.storage.vault.entries.get(a!.id);
    await vault.storeStaticKey('usr_bob', 'openai', 'sk-bob');
    const [b] = await vault.listForUser('usr_bob');
    await h.raw(`update vault_entries set ciphertext = '${stored!.sealed.ciphertext}' where id = '${b!.id}'`);
    await expect(vault.staticKey('usr_bob', 'openai')).rejects.toBeInstanceOf(VaultDecryptError);
    expect(await vault.staticKey('usr_alice', 'openai')).toBe('sk-alice');
  });
});
