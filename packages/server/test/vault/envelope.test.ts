/**
 * Envelope encryption (issue 5, VA-1): AES-256-GCM per value under a fresh data key, the data key
 * wrapped by a KEK, both bound to the entry. Every way of opening a value with the wrong key, a
 * damaged byte or another entry's binding is a named error, never plaintext.
 */
import { createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { associatedData, open, rewrap, seal, type Binding } from '../../src/vault/envelope.ts';
import { LocalKeyEncryptionKeys, kekFromSecretKey, keysFromFile } from '../../src/vault/kek.ts';
import { VaultDecryptError, VaultKeySourceError, VaultKeyUnknownError } from '../../src/vault/errors.ts';

const SECRET = randomBytes(32).toString('base64url');
const alice: Binding = { kind: 'entry', entryId: 'vle_1', userId: 'usr_alice', connectionId: 'github' };
const payload = JSON.stringify({ access_token: 'gho_secret-access', refresh_token: 'ghr_secret-refresh', expires_at: 1_800_000_000, scope: 'repo' });

function keysOf(...ids: string[]): LocalKeyEncryptionKeys {
  const [current, ...older] = ids.map((id) => ({ id, key: randomBytes(32) }));
  return new LocalKeyEncryptionKeys(current!, older);
}

function flip(b64: string, index: number): string {
  const buf = Buffer.from(b64, 'base64url');
  buf[index] = buf[index]! ^ 0x01;
  return buf.toString('base64url');
}

describe('seal and open', () => {
  it('round-trips and never stores the plaintext, the data key or the same bytes twice', async () => {
    const keys = new LocalKeyEncryptionKeys(kekFromSecretKey(SECRET));
    const a = await seal(keys, alice, payload);
    const b = await seal(keys, alice, payload);
    expect(await open(keys, alice, a)).toBe(payload);
    expect(a.kekId).toBe('secret-v1');
    expect(Buffer.from(a.ciphertext, 'base64url').toString('latin1')).not.toContain('gho_secret');
    // A fresh data key and IV per seal: equal plaintexts give unrelated ciphertexts and wrapped keys.
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(a.wrappedKey).not.toBe(b.wrappedKey);
    expect(Buffer.from(a.wrappedKey, 'base64url')).toHaveLength(12 + 16 + 32);
  });

  it('is standard AES-256-GCM: the unwrapped data key decrypts the ciphertext with plain node:crypto', async () => {
    const keys = keysOf('k1');
    const sealed = await seal(keys, alice, payload);
    const aad = associatedData(alice);
    const dataKey = await keys.unwrap('k1', Buffer.from(sealed.wrappedKey, 'base64url'), aad);
    const ct = Buffer.from(sealed.ciphertext, 'base64url');
    const d = createDecipheriv('aes-256-gcm', dataKey, ct.subarray(0, 12));
    d.setAAD(aad);
    d.setAuthTag(ct.subarray(12, 28));
    expect(Buffer.concat([d.update(ct.subarray(28)), d.final()]).toString('utf8')).toBe(payload);
  });

  it('refuses a ciphertext or wrapped key moved to another entry, user or connection', async () => {
    const keys = keysOf('k1');
    const sealed = await seal(keys, alice, payload);
    const others: Binding[] = [
      { ...alice, entryId: 'vle_2' },
      { ...alice, userId: 'usr_mallory' },
      { ...alice, connectionId: 'slack' },
      { kind: 'connection-secret', connectionId: 'github', providerDigest: 'd' },
    ];
    for (const binding of others) await expect(open(keys, binding, sealed)).rejects.toBeInstanceOf(VaultDecryptError);
    // Swap only the ciphertext between two entries: each wrapped key still opens, the ciphertext does not.
    const bob: Binding = { ...alice, entryId: 'vle_2', userId: 'usr_bob' };
    const bobs = await seal(keys, bob, 'bob-token');
    await expect(open(keys, alice, { ...sealed, ciphertext: bobs.ciphertext })).rejects.toBeInstanceOf(VaultDecryptError);
    await expect(open(keys, bob, { ...bobs, wrappedKey: sealed.wrappedKey })).rejects.toBeInstanceOf(VaultDecryptError);
  });

  it('refuses every single-bit corruption of the ciphertext and the wrapped key', async () => {
    const keys = keysOf('k1');
    const sealed = await seal(keys, alice, 'short');
    const ctLength = Buffer.from(sealed.ciphertext, 'base64url').length;
    for (let i = 0; i < ctLength; i++) {
      await expect(open(keys, alice, { ...sealed, ciphertext: flip(sealed.ciphertext, i) })).rejects.toBeInstanceOf(VaultDecryptError);
    }
    for (let i = 0; i < 60; i++) {
      await expect(open(keys, alice, { ...sealed, wrappedKey: flip(sealed.wrappedKey, i) })).rejects.toBeInstanceOf(VaultDecryptError);
    }
    await expect(open(keys, alice, { ...sealed, ciphertext: '' })).rejects.toBeInstanceOf(VaultDecryptError);
    await expect(open(keys, alice, { ...sealed, wrappedKey: 'c2hvcnQ' })).rejects.toBeInstanceOf(VaultDecryptError);
  });

  it('refuses a wrong KEK under the same id (VaultDecryptError) and an unknown KEK id (VaultKeyUnknownError)', async () => {
    const sealed = await seal(keysOf('k1'), alice, payload);
    const error = await open(keysOf('k1'), alice, sealed).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VaultDecryptError);
    expect((error as VaultDecryptError).code).toBe('ERR_VAULT_DECRYPT');
    expect(String((error as Error).message)).not.toContain(sealed.ciphertext);
    const unknown = await open(keysOf('k2'), alice, sealed).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(VaultKeyUnknownError);
    expect((unknown as VaultKeyUnknownError).kekId).toBe('k1');
  });
});

describe('key-encryption keys', () => {
  it('derives the secret-key KEK with its own HKDF label: stable for one secret, different for another, never the secret itself', () => {
    const a = kekFromSecretKey(SECRET);
    expect(kekFromSecretKey(SECRET).key.equals(a.key)).toBe(true);
    expect(kekFromSecretKey(randomBytes(32).toString('base64url')).key.equals(a.key)).toBe(false);
    expect(a.key.equals(Buffer.from(SECRET, 'base64url').subarray(0, 32))).toBe(false);
    expect(() => kekFromSecretKey(randomBytes(16).toString('base64url'))).toThrow(VaultKeySourceError);
  });

  it('reads a key file with a current key and older ones, and rejects a malformed file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vault-keys-'));
    const k1 = randomBytes(32);
    const k2 = randomBytes(32);
    const path = join(dir, 'keys.json');
    writeFileSync(path, JSON.stringify({ current: 'k2', keys: { k1: k1.toString('base64url'), k2: k2.toString('base64url') } }));
    const { current, older } = keysFromFile(path);
    expect(current.id).toBe('k2');
    expect(current.key.equals(k2)).toBe(true);
    expect(older.map((k) => k.id)).toEqual(['k1']);
    const keys = new LocalKeyEncryptionKeys(current, older);
    const sealedUnderOld = await seal(new LocalKeyEncryptionKeys({ id: 'k1', key: k1 }), alice, payload);
    expect(await open(keys, alice, sealedUnderOld)).toBe(payload);

    const bad = (content: string): void => {
      writeFileSync(path, content);
      expect(() => new LocalKeyEncryptionKeys(keysFromFile(path).current, keysFromFile(path).older)).toThrow(VaultKeySourceError);
    };
    bad('not json');
    bad(JSON.stringify({ keys: { k1: k1.toString('base64url') } }));
    bad(JSON.stringify({ current: 'k3', keys: { k1: k1.toString('base64url') } }));
    bad(JSON.stringify({ current: 'k1', keys: { k1: 'c2hvcnQ' } }));
    bad(JSON.stringify({ current: 'k1', keys: { k1: 42 } }));
    expect(() => keysFromFile(join(dir, 'absent.json'))).toThrow(VaultKeySourceError);
  });

  it('rewraps a data key to the current KEK, leaving the ciphertext byte-for-byte as it was', async () => {
    const k1 = { id: 'k1', key: randomBytes(32) };
    const k2 = { id: 'k2', key: randomBytes(32) };
    const sealed = await seal(new LocalKeyEncryptionKeys(k1), alice, payload);
    const rotated = new LocalKeyEncryptionKeys(k2, [k1]);
    const moved = await rewrap(rotated, alice, sealed);
    expect(moved.kekId).toBe('k2');
    expect(moved.ciphertext).toBe(sealed.ciphertext);
    expect(moved.wrappedKey).not.toBe(sealed.wrappedKey);
    // Readable with the new KEK alone: the old one may be retired.
    expect(await open(new LocalKeyEncryptionKeys(k2), alice, moved)).toBe(payload);
    expect(await rewrap(rotated, alice, moved)).toBe(moved);
    await expect(rewrap(rotated, { ...alice, userId: 'usr_bob' }, sealed)).rejects.toBeInstanceOf(VaultDecryptError);
  });
});
