/**
 * RFC 7523 §2.1: the JWT is in the `assertion` parameter. RFC 7521 §4.1: one JWT, no more. It is
 * read here without verification only to learn which trusted issuer's keys verify it (`iss`)
 * and which profile it claims (`typ`); nothing read here is trusted before verify.ts.
 */
import { InvalidGrantError, InvalidRequestError } from '@mandate/protocol';
import type { Params } from '../../http/params.ts';
import { MAX_UNVERIFIED_JWT_LENGTH, readUnverifiedJwt, requireUnverified, type UnverifiedJwt } from '../../tokens/unverified-jwt.ts';

export type UnverifiedAssertion = UnverifiedJwt;

export function readAssertion(params: Params): UnverifiedAssertion {
  const jwt = params.get('assertion');
  if (jwt === undefined) throw new InvalidRequestError("The 'assertion' parameter is required for the jwt-bearer grant (RFC 7523 §2.1).");
  return requireUnverified(readUnverifiedJwt(jwt), (message) => new InvalidGrantError(message), {
    too_long: `The assertion is longer than ${MAX_UNVERIFIED_JWT_LENGTH} characters.`,
    malformed: 'The assertion is not a well-formed signed JWT (RFC 7523 §3).',
    no_issuer: 'The assertion must have an "iss" claim (RFC 7523 §3 (1)).',
  });
}
