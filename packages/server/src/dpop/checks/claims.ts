/**
 * RFC 9449 §4.2 / §4.3 checks on the proof's claims. Each function checks one claim and names the
 * section it proves.
 */
import { createHash } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { InvalidDpopProofError } from '@mandate/protocol';
import { constantTimeEqual } from '../../crypto/hash.ts';
import { htuMatches } from '../htu.ts';

/** Enough for any UUID or 256-bit random identifier; bounds what the replay cache stores. */
export const MAX_JTI_LENGTH = 256;

/** §4.2: `jti`, a unique identifier, is required; §11.1 uses it against replay. */
export function checkJti(payload: JWTPayload): string {
  const jti = payload.jti;
  if (typeof jti !== 'string' || jti.length === 0) throw new InvalidDpopProofError('The DPoP proof must have a "jti" claim (RFC 9449 §4.2).');
  if (jti.length > MAX_JTI_LENGTH) throw new InvalidDpopProofError(`The DPoP proof "jti" claim is longer than ${MAX_JTI_LENGTH} characters.`);
  return jti;
}

/** §4.3 (8): `htm` is the HTTP method of this request (methods are case-sensitive, RFC 9110 §9.1). */
export function checkHtm(payload: JWTPayload, method: string): void {
  if (typeof payload.htm !== 'string') throw new InvalidDpopProofError('The DPoP proof must have an "htm" claim (RFC 9449 §4.2).');
  if (payload.htm !== method) throw new InvalidDpopProofError(`The DPoP proof "htm" claim must be "${method}" for this request (RFC 9449 §4.3).`);
}

/** §4.3 (9): `htu` is this endpoint's URI, ignoring query and fragment, after normalisation. */
export function checkHtu(payload: JWTPayload, endpointUrl: string): void {
  if (typeof payload.htu !== 'string') throw new InvalidDpopProofError('The DPoP proof must have an "htu" claim (RFC 9449 §4.2).');
  if (!htuMatches(payload.htu, endpointUrl)) {
    throw new InvalidDpopProofError(`The DPoP proof "htu" claim must be ${endpointUrl} (RFC 9449 §4.3).`);
  }
}

/** §4.3 (11) and §11.1: the proof was created within `window` seconds of now, in either direction. */
export function checkIat(payload: JWTPayload, now: number, window: number): number {
  const iat = payload.iat;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new InvalidDpopProofError('The DPoP proof must have a numeric "iat" claim (RFC 9449 §4.2).');
  if (iat > now + window) throw new InvalidDpopProofError(`The DPoP proof "iat" is more than ${window} seconds in the future; check the client clock (RFC 9449 §11.1).`);
  if (iat < now - window) throw new InvalidDpopProofError(`The DPoP proof "iat" is more than ${window} seconds in the past; create a fresh proof for every request (RFC 9449 §11.1).`);
  return iat;
}

/** base64url(SHA-256(ASCII(access token))), the `ath` value of RFC 9449 §4.2. */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/** §4.3 (12): with an access token, `ath` is the hash of exactly that token. */
export function checkAth(payload: JWTPayload, accessToken: string | undefined): void {
  if (accessToken === undefined) return;
  if (typeof payload.ath !== 'string') throw new InvalidDpopProofError('The DPoP proof must have an "ath" claim when it accompanies an access token (RFC 9449 §4.2).');
  if (!constantTimeEqual(payload.ath, accessTokenHash(accessToken))) {
    throw new InvalidDpopProofError('The DPoP proof "ath" claim does not match the access token (RFC 9449 §4.3).');
  }
}
