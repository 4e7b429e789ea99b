/**
 * RFC 7523 §3: the JWT's signature with the trusted issuer's keys (9), `iss` (1), `aud` (3),
 * `exp` required and not passed (4), `nbf` (5), and `sub` (2) and `jti` (7) present. jose does
 * the checking; a verification failure is invalid_grant (RFC 7521 §4.1.1).
 */
import { errors, jwtVerify, type CryptoKey, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions, type KeyObject } from 'jose';
import type { ServerContext } from '../../context.ts';
import { issuerKeyResolver, type KeySource } from '../../federation/jwks.ts';
import { assertionFailure } from './verify-failure.ts';

/** Accepted clock difference between the issuer and us, seconds. */
export const ASSERTION_LEEWAY = 60;

export interface AssertionVerification {
  source: KeySource;
  algorithms: readonly string[];
  audience: string[];
  /** The `typ` header the profile requires, if any. */
  typ?: string;
  requiredClaims: string[];
}

export async function verifyAssertion(ctx: ServerContext, jwt: string, v: AssertionVerification): Promise<JWTPayload> {
  return verifyIssuerJwt(ctx, jwt, v.source, {
    issuer: v.source.issuer,
    audience: v.audience,
    algorithms: [...v.algorithms],
    requiredClaims: ['iss', 'sub', 'aud', 'exp', 'jti', ...v.requiredClaims],
    currentDate: new Date(ctx.now() * 1000),
    clockTolerance: ASSERTION_LEEWAY,
    ...(v.typ !== undefined ? { typ: v.typ } : {}),
  });
}

/** Any JWT of a trusted issuer with that issuer's keys (also token exchange's federated ID tokens, which carry no jti). */
export async function verifyIssuerJwt(ctx: ServerContext, jwt: string, source: KeySource, options: JWTVerifyOptions): Promise<JWTPayload> {
  let keys: JWTVerifyGetKey;
  try {
    keys = issuerKeyResolver(ctx, source);
    return (await jwtVerify(jwt, keys, options)).payload;
  } catch (err) {
    // Several keys may match a header without "kid": try each of them (jose leaves that to the caller).
    if (err instanceof errors.JWKSMultipleMatchingKeys) return verifyWithCandidates(jwt, err, options);
    throw assertionFailure(err);
  }
}

async function verifyWithCandidates(jwt: string, candidates: AsyncIterable<KeyObject | CryptoKey>, options: JWTVerifyOptions): Promise<JWTPayload> {
  let last: unknown = new errors.JWSSignatureVerificationFailed();
  for await (const key of candidates) {
    try {
      return (await jwtVerify(jwt, key, options)).payload;
    } catch (err) {
      last = err;
      if (!(err instanceof errors.JWSSignatureVerificationFailed)) break;
    }
  }
  throw assertionFailure(last);
}
