/**
 * RFC 7523 §2.1: the JWT is in the `assertion` parameter. RFC 7521 §4.1: one JWT, no more. It is
 * decoded here without verification only to learn which trusted issuer's keys verify it (`iss`)
 * and which profile it claims (`typ`); nothing decoded here is trusted before verify.ts.
 */
import { decodeJwt, decodeProtectedHeader, type JWTHeaderParameters, type JWTPayload } from 'jose';
import { InvalidGrantError, InvalidRequestError } from '@mandate/protocol';
import type { Params } from '../../http/params.ts';

export const MAX_ASSERTION_LENGTH = 16 * 1024;

export interface UnverifiedAssertion {
  jwt: string;
  header: JWTHeaderParameters;
  iss: string;
}

export function readAssertion(params: Params): UnverifiedAssertion {
  const jwt = params.get('assertion');
  if (jwt === undefined) throw new InvalidRequestError("The 'assertion' parameter is required for the jwt-bearer grant (RFC 7523 §2.1).");
  if (jwt.length > MAX_ASSERTION_LENGTH) throw new InvalidGrantError(`The assertion is longer than ${MAX_ASSERTION_LENGTH} characters.`);
  let header: JWTHeaderParameters;
  let claims: JWTPayload;
  try {
    header = decodeProtectedHeader(jwt) as JWTHeaderParameters;
    claims = decodeJwt(jwt);
  } catch {
    throw new InvalidGrantError('The assertion is not a well-formed signed JWT (RFC 7523 §3).');
  }
  if (typeof claims.iss !== 'string' || claims.iss === '') throw new InvalidGrantError('The assertion must have an "iss" claim (RFC 7523 §3 (1)).');
  return { jwt, header, iss: claims.iss };
}
