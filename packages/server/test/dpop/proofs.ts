/**
 * DPoP proofs for tests: well-formed ones signed with jose, and deliberately broken ones
 * (unsecured, HMAC, private key in the header, garbage) built the way an attacker would.
 */
import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export interface ProofKey {
  alg: string;
  privateKey: CryptoKey;
  jwk: JWK;
  privateJwk: JWK;
  jkt: string;
}

export async function proofKey(alg = 'ES256'): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { alg, privateKey, jwk, privateJwk: await exportJWK(privateKey), jkt: await calculateJwkThumbprint(jwk, 'sha256') };
}

export interface ProofOptions {
  htm?: string;
  htu: string;
  /** Extra or replacement claims; `undefined` values remove a claim. */
  claims?: Record<string, unknown>;
  /** Extra or replacement header members. */
  header?: Record<string, unknown>;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function payloadOf(options: ProofOptions): JWTPayload {
  const payload: Record<string, unknown> = { jti: randomUUID(), htm: options.htm ?? 'POST', htu: options.htu, iat: nowSeconds(), ...options.claims };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return payload as JWTPayload;
}

export async function signProof(key: ProofKey, options: ProofOptions): Promise<string> {
  return new SignJWT(payloadOf(options))
    .setProtectedHeader({ alg: key.alg, typ: 'dpop+jwt', jwk: key.jwk, ...options.header } as { alg: string })
    .sign(key.privateKey);
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsecured JWT (`alg: none`, empty signature), RFC 7519 §6. */
export function unsecuredProof(key: ProofKey, options: ProofOptions): string {
  return `${b64({ alg: 'none', typ: 'dpop+jwt', jwk: key.jwk })}.${b64(payloadOf(options))}.`;
}

/** HS256 keyed with the public key's own bytes: the classic algorithm-confusion forgery. */
export async function hmacWithPublicKey(key: ProofKey, options: ProofOptions): Promise<string> {
  const secret = new TextEncoder().encode(JSON.stringify(key.jwk));
  return new SignJWT(payloadOf(options)).setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: key.jwk } as { alg: string }).sign(secret);
}
