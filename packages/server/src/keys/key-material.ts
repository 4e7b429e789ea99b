/**
 * Key material for the server's own signing keys: generation, encryption at rest, import.
 * Everything JOSE goes through jose; the private JWK only ever leaves memory encrypted with the
 * secret key (crypto/envelope.ts, purpose `signing-key`).
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Envelope } from '../crypto/envelope.ts';
import type { SigningKeyRecord } from '../storage/records.ts';

export type SigningAlg = SigningKeyRecord['alg'];

/** Bound into the JWE header so a TOTP ciphertext can never be swapped in for a key (envelope.ts). */
export const SIGNING_KEY_PURPOSE = 'signing-key';

/**
 * The public members per key type (RFC 7518 §6, RFC 8037 §2) plus the RFC 7517 §4 metadata we
 * publish. Anything else, above all `d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`, is dropped.
 */
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  EC: ['kty', 'crv', 'x', 'y'],
  OKP: ['kty', 'crv', 'x'],
  RSA: ['kty', 'n', 'e'],
};
const METADATA_MEMBERS = ['kid', 'alg', 'use'] as const;

/** Keeps only public members: a defensive filter for anything that is about to be published. */
export function toPublicJwk(jwk: Record<string, unknown>): JWK {
  const kty = typeof jwk.kty === 'string' ? jwk.kty : '';
  const members = PUBLIC_MEMBERS[kty];
  if (!members) throw new Error(`Refusing to publish a key of type '${kty}'.`);
  const out: Record<string, unknown> = {};
  for (const name of [...members, ...METADATA_MEMBERS]) {
    if (typeof jwk[name] === 'string') out[name] = jwk[name];
  }
  return out as JWK;
}

export interface GeneratedKey {
  record: SigningKeyRecord;
  privateKey: CryptoKey;
}

/**
 * A new key pair for `alg`. The kid is the RFC 7638 thumbprint of the public key, so every
 * instance names a key the same way and a kid can never point at two different keys.
 */
export async function generateSigningKey(alg: SigningAlg, envelope: Envelope, now: number): Promise<GeneratedKey> {
  // Extractable so the private JWK can be exported once, encrypted and stored.
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicExport = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicExport, 'sha256');
  const publicJwk = toPublicJwk({ ...publicExport, kid, alg, use: 'sig' });
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg };
  const privateJwkEncrypted = await envelope.encrypt(JSON.stringify(privateJwk), SIGNING_KEY_PURPOSE);
  return {
    record: {
      kid,
      alg,
      publicJwk: publicJwk as Record<string, unknown>,
      privateJwkEncrypted,
      status: 'active',
      createdAt: now,
      retiredAt: null,
      publishUntil: null,
    },
    privateKey,
  };
}

/** Decrypts and imports a stored private key (once per key per process: the result is cached by the caller). */
export async function importPrivateKey(record: SigningKeyRecord, envelope: Envelope): Promise<CryptoKey> {
  let json: string;
  try {
    json = await envelope.decrypt(record.privateJwkEncrypted, SIGNING_KEY_PURPOSE);
  } catch (cause) {
    throw new Error(`Cannot decrypt signing key ${record.kid}: MANDATE_SECRET_KEY is not the key it was stored with.`, { cause });
  }
  const jwk = JSON.parse(json) as JWK;
  if (typeof jwk.d !== 'string') throw new Error(`Stored signing key ${record.kid} has no private part.`);
  const key = await importJWK(jwk, record.alg);
  if (key instanceof Uint8Array) throw new Error(`Stored signing key ${record.kid} is not an asymmetric key.`);
  return key;
}
