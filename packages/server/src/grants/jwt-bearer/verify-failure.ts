/**
 * A jose verification failure as a clear `invalid_grant` (RFC 7521 §4.1.1: "the JWT is not valid
 * ... the authorization server returns invalid_grant"). The description says which check failed,
 * never the assertion itself.
 */
import { errors } from 'jose';
import { InvalidGrantError } from '@mandate/protocol';
import { IssuerKeysError } from '../../federation/jwks.ts';

export function assertionFailure(err: unknown): InvalidGrantError {
  return new InvalidGrantError(describe(err), { cause: err });
}

function describe(err: unknown): string {
  if (err instanceof IssuerKeysError) return `The issuer's keys could not be obtained: ${err.message}`;
  if (err instanceof errors.JWTExpired) return 'The assertion has expired (RFC 7523 §3 (4)).';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') return `The assertion must have a "${err.claim}" claim (RFC 7523 §3).`;
    if (err.claim === 'aud') return 'The assertion "aud" does not identify this authorization server (RFC 7523 §3 (3)).';
    if (err.claim === 'iss') return 'The assertion "iss" is not the trusted issuer whose keys signed it.';
    if (err.claim === 'nbf') return 'The assertion is not valid yet ("nbf", RFC 7523 §3 (5)).';
    if (err.claim === 'iat') return 'The assertion "iat" is invalid (RFC 7523 §3 (6)).';
    if (err.claim === 'typ') return 'The assertion "typ" header is not the one this profile requires.';
    return `The assertion "${err.claim}" claim is invalid.`;
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return "The assertion signature does not verify with the trusted issuer's keys.";
  if (err instanceof errors.JWKSNoMatchingKey) return 'No key of the trusted issuer matches the assertion ("kid" and "alg").';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'The assertion algorithm is not accepted.';
  if (err instanceof errors.JWKSTimeout) return "The issuer's jwks_uri did not answer in time.";
  if (err instanceof errors.JWTInvalid || err instanceof errors.JWSInvalid) return 'The assertion is not a well-formed signed JWT.';
  if (err instanceof errors.JOSENotSupported || err instanceof errors.JWKInvalid || err instanceof errors.JWKSInvalid) return "The assertion's key or algorithm is not supported.";
  return 'The assertion could not be verified.';
}
