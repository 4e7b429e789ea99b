/**
 * Envelope encryption of one vault value (issue 5, VA-1): a fresh random 32-byte data key per
 * sealed value, AES-256-GCM (node:crypto) for the value, the data key wrapped by a
 * key-encryption key. The same associated data (the value's binding: entry id, user id,
 * connection id) authenticates both the wrapped key and the ciphertext, so a ciphertext or a
 * wrapped key copied onto another row fails to open instead of releasing another user's token.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KeyEncryptionKeys } from './kek.ts';
import { VaultDecryptError } from './errors.ts';

/**
 * What a sealed value is bound to. Every part is authenticated. A connection's credential is
 * also bound to the digest of its provider metadata (connections.ts), so endpoints rewritten in
 * the database without the KEK make it fail to open instead of receiving secrets.
 */
export type Binding =
  | { kind: 'entry'; entryId: string; userId: string; connectionId: string }
  | { kind: 'connection-secret'; connectionId: string; providerDigest: string };

/** A sealed value as stored: all text (base64url), so both backends store it the same way. */
export interface Sealed {
  kekId: string;
  wrappedKey: string;
  ciphertext: string;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Ciphertext format version, part of the associated data so a future format cannot be confused with this one. */
const FORMAT = 'mandate-vault/v1';

/** JSON of an array is unambiguous (no separator an id could contain) and stable. */
export function associatedData(binding: Binding): Buffer {
  const parts =
    binding.kind === 'entry'
      ? [FORMAT, binding.kind, binding.entryId, binding.userId, binding.connectionId]
      : [FORMAT, binding.kind, binding.connectionId, binding.providerDigest];
  return Buffer.from(JSON.stringify(parts), 'utf8');
}

/** Ciphertext layout: iv (12) | tag (16) | body. */
function encrypt(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

function decrypt(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new VaultDecryptError();
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    throw new VaultDecryptError();
  }
}

/** Bytes of the sealed plaintext, read from the clear layout (GCM keeps lengths); nothing is decrypted. */
export function sealedPlaintextLength(sealed: Sealed): number {
  return Math.max(0, Buffer.byteLength(sealed.ciphertext, 'base64url') - IV_BYTES - TAG_BYTES);
}

/** Seals UTF-8 text under a fresh data key; the data key is wiped from this buffer afterwards. */
export async function seal(keys: KeyEncryptionKeys, binding: Binding, plaintext: string): Promise<Sealed> {
  const aad = associatedData(binding);
  const dataKey = randomBytes(32);
  try {
    const ciphertext = encrypt(dataKey, Buffer.from(plaintext, 'utf8'), aad);
    const { kekId, wrapped } = await keys.wrap(dataKey, aad);
    return { kekId, wrappedKey: wrapped.toString('base64url'), ciphertext: ciphertext.toString('base64url') };
  } finally {
    dataKey.fill(0);
  }
}

/**
 * Opens a sealed value. Any failure — an unknown KEK, a wrong one, a flipped bit, a value bound
 * to another entry — is a named VaultError; plaintext is returned only after GCM authenticated it.
 */
export async function open(keys: KeyEncryptionKeys, binding: Binding, sealed: Sealed): Promise<string> {
  const aad = associatedData(binding);
  const dataKey = await keys.unwrap(sealed.kekId, Buffer.from(sealed.wrappedKey, 'base64url'), aad);
  try {
    if (dataKey.length !== 32) throw new VaultDecryptError();
    const plaintext = decrypt(dataKey, Buffer.from(sealed.ciphertext, 'base64url'), aad);
    return plaintext.toString('utf8');
  } finally {
    dataKey.fill(0);
  }
}

/**
 * Key rotation for one value: unwraps the data key with the KEK it names and wraps it with the
 * current one. The ciphertext is not touched, so readers never see a half-rotated value.
 */
export async function rewrap(keys: KeyEncryptionKeys, binding: Binding, sealed: Sealed): Promise<Sealed> {
  if (sealed.kekId === keys.currentKeyId) return sealed;
  const aad = associatedData(binding);
  const dataKey = await keys.unwrap(sealed.kekId, Buffer.from(sealed.wrappedKey, 'base64url'), aad);
  try {
    const { kekId, wrapped } = await keys.wrap(dataKey, aad);
    return { kekId, wrappedKey: wrapped.toString('base64url'), ciphertext: sealed.ciphertext };
  } finally {
    dataKey.fill(0);
  }
}
