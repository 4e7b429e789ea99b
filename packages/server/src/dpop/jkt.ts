/**
 * JWK SHA-256 thumbprints (RFC 7638) as DPoP uses them: `cnf.jkt` in tokens (RFC 9449 §6.1) and
 * the `dpop_jkt` authorization request parameter (RFC 9449 §10).
 */
import { calculateJwkThumbprint, type JWK } from 'jose';
import { InvalidRequestError } from '@mandate/protocol';
import type { Params } from '../http/params.ts';

/** base64url of a 32-byte SHA-256 digest, without padding: always 43 characters. */
const JKT_SYNTAX = /^[A-Za-z0-9_-]{43}$/;

export function isJwkThumbprint(value: unknown): value is string {
  return typeof value === 'string' && JKT_SYNTAX.test(value);
}

export function jwkThumbprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(jwk, 'sha256');
}

/**
 * RFC 9449 §10: the optional `dpop_jkt` parameter of an authorization (or pushed authorization)
 * request. Returns null when absent; a value that cannot be a SHA-256 thumbprint is refused.
 */
export function readDpopJktParameter(params: Params): string | null {
  const value = params.get('dpop_jkt');
  if (value === undefined) return null;
  if (!isJwkThumbprint(value)) {
    throw new InvalidRequestError('The dpop_jkt parameter must be the base64url SHA-256 JWK thumbprint (43 characters) of the DPoP key (RFC 9449 §10).');
  }
  return value;
}

/**
 * RFC 9449 §10.1: when a PAR request carries both `dpop_jkt` and a DPoP proof, the two must name
 * the same key.
 */
export function checkDpopJktMatchesProof(dpopJkt: string | null, proofJkt: string | null): void {
  if (dpopJkt !== null && proofJkt !== null && dpopJkt !== proofJkt) {
    throw new InvalidRequestError('The dpop_jkt parameter does not match the key of the DPoP proof (RFC 9449 §10.1).');
  }
}
