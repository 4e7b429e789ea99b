/**
 * Key-encryption keys (KEKs): the seam between the vault and wherever its master keys live.
 * The vault only ever asks "wrap this data key with your current key" and "unwrap this with key
 * <id>", so a cloud KMS (AWS KMS Encrypt/Decrypt, GCP KMS, Vault transit) implements the same
 * interface without the vault changing. Local keys wrap with AES-256-GCM from node:crypto.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { VaultDecryptError, VaultKeySourceError, VaultKeyUnknownError } from './errors.ts';

export interface KeyEncryptionKeys {
  /** The KEK new data keys are wrapped with. */
  readonly currentKeyId: string;
  /** True when `unwrap` can use this KEK (rotation keeps old keys readable until rewrap completes). */
  has(kekId: string): boolean;
  /** Wraps a data key with the current KEK; `aad` binds the wrapped key to its entry. */
  wrap(dataKey: Uint8Array, aad: Uint8Array): Promise<{ kekId: string; wrapped: Buffer }>;
  /** Throws VaultKeyUnknownError for a KEK it lacks, VaultDecryptError when authentication fails. */
  unwrap(kekId: string, wrapped: Uint8Array, aad: Uint8Array): Promise<Buffer>;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** Wrapped key layout: iv (12) | tag (16) | encrypted data key (32). */
function gcmWrap(kek: Buffer, dataKey: Uint8Array, aad: Uint8Array): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', kek, iv);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(dataKey), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

function gcmUnwrap(kek: Buffer, wrapped: Uint8Array, aad: Uint8Array): Buffer {
  if (wrapped.length !== IV_BYTES + TAG_BYTES + KEY_BYTES) throw new VaultDecryptError('wrapped data key');
  const buf = Buffer.from(wrapped.buffer, wrapped.byteOffset, wrapped.byteLength);
  try {
    const decipher = createDecipheriv('aes-256-gcm', kek, buf.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(buf.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(buf.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    throw new VaultDecryptError('wrapped data key');
  }
}

/** KEKs held in process memory, keyed by id. The first id given is the current one. */
export class LocalKeyEncryptionKeys implements KeyEncryptionKeys {
  readonly currentKeyId: string;
  private readonly keys: Map<string, Buffer>;

  constructor(current: { id: string; key: Uint8Array }, older: { id: string; key: Uint8Array }[] = []) {
    this.keys = new Map();
    for (const { id, key } of [current, ...older]) {
      if (key.length !== KEY_BYTES) throw new VaultKeySourceError(`Key-encryption key "${id}" must be 32 bytes.`);
      if (id.length === 0 || this.keys.has(id)) throw new VaultKeySourceError(`Key-encryption key ids must be unique and non-empty ("${id}").`);
      this.keys.set(id, Buffer.from(key));
    }
    this.currentKeyId = current.id;
  }

  has(kekId: string): boolean {
    return this.keys.has(kekId);
  }

  async wrap(dataKey: Uint8Array, aad: Uint8Array): Promise<{ kekId: string; wrapped: Buffer }> {
    return { kekId: this.currentKeyId, wrapped: gcmWrap(this.keys.get(this.currentKeyId)!, dataKey, aad) };
  }

  async unwrap(kekId: string, wrapped: Uint8Array, aad: Uint8Array): Promise<Buffer> {
    const kek = this.keys.get(kekId);
    if (!kek) throw new VaultKeyUnknownError(kekId);
    return gcmUnwrap(kek, wrapped, aad);
  }
}

/**
 * The KEK derived from MANDATE_SECRET_KEY with HKDF (RFC 5869). Its own info label keeps it
 * apart from every other key derived from the secret (interaction/keys.ts, dpop/nonce.ts) and
 * from the raw secret that crypto/envelope.ts uses. The id names the derivation, so a new
 * secret key gets a new id by passing `id`.
 */
export function kekFromSecretKey(secretKey: string, id = 'secret-v1'): { id: string; key: Buffer } {
  const ikm = Buffer.from(secretKey, 'base64url');
  if (ikm.length < KEY_BYTES) throw new VaultKeySourceError('MANDATE_SECRET_KEY must be at least 32 bytes.');
  return { id, key: Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), 'mandate vault kek v1', KEY_BYTES)) };
}

/**
 * A key file: JSON `{ "current": "<id>", "keys": { "<id>": "<32 bytes base64url>", … } }`.
 * Older keys stay in the file until `rewrapAll` has moved every entry to the current one.
 */
export function keysFromFile(path: string): { current: { id: string; key: Buffer }; older: { id: string; key: Buffer }[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new VaultKeySourceError(`Vault key file ${path} is missing or not JSON.`);
  }
  const file = parsed as { current?: unknown; keys?: unknown };
  if (typeof file.current !== 'string' || typeof file.keys !== 'object' || file.keys === null) {
    throw new VaultKeySourceError(`Vault key file ${path} needs "current" and "keys".`);
  }
  const entries = Object.entries(file.keys as Record<string, unknown>).map(([id, value]) => {
    if (typeof value !== 'string') throw new VaultKeySourceError(`Vault key "${id}" in ${path} is not a string.`);
    return { id, key: Buffer.from(value, 'base64url') };
  });
  const current = entries.find((e) => e.id === file.current);
  if (!current) throw new VaultKeySourceError(`Vault key file ${path} has no key "${file.current}".`);
  return { current, older: entries.filter((e) => e !== current) };
}

/**
 * The vault's KEKs for a deployment: the key file when configured (`vault.keyFile`; its older keys, and the
 * secret-derived key, stay readable so a move from MANDATE_SECRET_KEY to a key file is one
 * `rewrapAll`), otherwise the KEK derived from MANDATE_SECRET_KEY. Cached per config object:
 * HKDF and file reads happen once, not per request.
 */
const cache = new WeakMap<object, KeyEncryptionKeys>();

export function vaultKeys(config: { secretKey: string; vault?: { keyFile?: string | undefined } | undefined }): KeyEncryptionKeys {
  let keys = cache.get(config);
  if (!keys) {
    const derived = kekFromSecretKey(config.secretKey);
    const keyFile = config.vault?.keyFile;
    if (keyFile) {
      const file = keysFromFile(keyFile);
      keys = new LocalKeyEncryptionKeys(file.current, [...file.older, ...(file.current.id === derived.id || file.older.some((k) => k.id === derived.id) ? [] : [derived])]);
    } else {
      keys = new LocalKeyEncryptionKeys(derived);
    }
    cache.set(config, keys);
  }
  return keys;
}
