/**
 * Another issuer's JWT read before it is verified — only to learn whose keys verify it (`iss`,
 * RFC 7519 §4.1.1) and, from the header, which key and profile it names (`alg`, `kid`, `typ`,
 * RFC 7515 §4). Nothing read here is trusted: the caller verifies the same string with jose before
 * acting on any claim (RFC 8725 §3.1). jose does the parsing; each caller maps a failure to its own
 * OAuth error (invalid_grant for RFC 7521 §4.1.1 assertions, invalid_request for RFC 8693 §2.2.2
 * subject and actor tokens), so the reasons here are codes, not descriptions.
 */
import { decodeJwt, decodeProtectedHeader, type JWTHeaderParameters, type JWTPayload } from 'jose';

/** Longest JWT read: far above any real assertion or ID token, and bounds the work garbage costs. */
export const MAX_UNVERIFIED_JWT_LENGTH = 16 * 1024;

/** The payload of a compact JWS with a non-empty string `iss`. */
export interface UnverifiedClaims {
  /** The compact serialization itself: the string to hand to the verifier. */
  jwt: string;
  claims: JWTPayload;
  /** The claimed issuer: only for picking the trust-list entry whose keys then verify it. */
  iss: string;
}

/** Header and payload of a compact JWS with a non-empty string `iss`. */
export interface UnverifiedJwt extends UnverifiedClaims {
  header: JWTHeaderParameters;
}

/**
 * too_long: over MAX_UNVERIFIED_JWT_LENGTH (not decoded at all); malformed: not three segments, bad
 * base64url, not JSON, or a header or payload that is not a JSON object; no_issuer: `iss` absent,
 * not a string, or empty.
 */
export type UnverifiedJwtFailure = 'too_long' | 'malformed' | 'no_issuer';

export type UnverifiedRead<T> = { ok: true; value: T } | { ok: false; failure: UnverifiedJwtFailure };

/**
 * The value read, or the caller's error for why not: one description per failure (a Record, so a
 * new failure code does not compile until every caller describes it), in the caller's OAuth error.
 */
export function requireUnverified<T>(read: UnverifiedRead<T>, toError: (message: string) => Error, messages: Record<UnverifiedJwtFailure, string>): T {
  if (read.ok) return read.value;
  throw toError(messages[read.failure]);
}

/** The payload only: enough to choose a verifier when the header is not needed yet. */
export function readUnverifiedClaims(jwt: string): UnverifiedRead<UnverifiedClaims> {
  if (jwt.length > MAX_UNVERIFIED_JWT_LENGTH) return failed('too_long');
  let claims: JWTPayload;
  try {
    claims = decodeJwt(jwt);
  } catch {
    return failed('malformed');
  }
  return withIssuer(jwt, claims);
}

/** Header and payload; a malformed header or payload is reported before a missing `iss`. */
export function readUnverifiedJwt(jwt: string): UnverifiedRead<UnverifiedJwt> {
  if (jwt.length > MAX_UNVERIFIED_JWT_LENGTH) return failed('too_long');
  let header: JWTHeaderParameters;
  let claims: JWTPayload;
  try {
    header = decodeHeader(jwt);
    claims = decodeJwt(jwt);
  } catch {
    return failed('malformed');
  }
  const read = withIssuer(jwt, claims);
  return read.ok ? { ok: true, value: { ...read.value, header } } : read;
}

/** The header of a token whose payload was already read: the payload is not decoded again. */
export function readUnverifiedHeader(read: UnverifiedClaims): UnverifiedRead<UnverifiedJwt> {
  try {
    return { ok: true, value: { ...read, header: decodeHeader(read.jwt) } };
  } catch {
    return failed('malformed');
  }
}

// jose types the protected header loosely (alg optional); the verifiers check `alg` themselves.
function decodeHeader(jwt: string): JWTHeaderParameters {
  return decodeProtectedHeader(jwt) as JWTHeaderParameters;
}

function withIssuer(jwt: string, claims: JWTPayload): UnverifiedRead<UnverifiedClaims> {
  const { iss } = claims;
  if (typeof iss !== 'string' || iss === '') return failed('no_issuer');
  return { ok: true, value: { jwt, claims, iss } };
}

function failed(failure: UnverifiedJwtFailure): { ok: false; failure: UnverifiedJwtFailure } {
  return { ok: false, failure };
}
