/**
 * What the two federated subject tokens — ID tokens of trusted OpenID Providers and ID-JAGs of
 * trusted authorization servers — share. Their checks are the jwt-bearer grant's
 * (grants/jwt-bearer), where a failure is invalid_grant (RFC 7521 §4.1.1); a subject token that
 * is "invalid for any reason, or is unacceptable based on policy" is invalid_request here
 * (RFC 8693 §2.2.2), so the code changes and the reason stays. Target and scope refusals keep
 * their own codes (invalid_target, invalid_scope).
 */
import type { JWTPayload } from 'jose';
import { InvalidRequestError, InvalidTargetError, isOAuthError } from '@mandate/protocol';
import type { IdJagClientPolicy } from '../../federation/schema.ts';
import {
  MAX_UNVERIFIED_JWT_LENGTH,
  readUnverifiedClaims,
  readUnverifiedHeader,
  readUnverifiedJwt,
  requireUnverified,
  type UnverifiedClaims,
  type UnverifiedJwt,
} from '../../tokens/unverified-jwt.ts';
import type { Chain } from './act-chain.ts';
import type { FederatedOrigin } from './subject-token.ts';
import type { ExchangeRequest } from './request.ts';
import { truncate } from './request.ts';

/** Codes of the shared checks that mean "this subject token is not acceptable". */
const SUBJECT_REFUSALS = new Set(['invalid_grant', 'unauthorized_client']);

/**
 * `iss` is the (trusted, exactly matched) issuer whose keys were used: named in the description,
 * and so in the refusal's audit event (AU-2), which otherwise could not tell which of several
 * trusted issuers a bad signature or an unknown user came from.
 */
export async function asSubjectRefusal<T>(what: string, iss: string, check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (err) {
    if (isOAuthError(err) && SUBJECT_REFUSALS.has(err.error)) {
      throw new InvalidRequestError(`The subject_token is not an acceptable ${what} of ${truncate(iss)}: ${err.description}`, { cause: err });
    }
    throw err;
  }
}

/**
 * Read without verification only to learn which trusted issuer's keys verify it (nothing here is
 * trusted yet). Given the dispatcher's read of the token's payload (unverifiedSubject), only the
 * header is decoded: the payload is not read twice.
 */
export function decodeUnverified(token: string | UnverifiedClaims, what: string): UnverifiedJwt {
  const read = typeof token === 'string' ? readUnverifiedJwt(token) : readUnverifiedHeader(token);
  const unusable = `The subject_token is not a well-formed signed ${what} with an "iss" claim.`;
  return requireUnverified(read, (message) => new InvalidRequestError(message), {
    too_long: `The subject_token is longer than ${MAX_UNVERIFIED_JWT_LENGTH} characters.`,
    malformed: unusable,
    no_issuer: unusable,
  });
}

/**
 * The token's payload when it is a well-formed JWT with an `iss`, else null: the dispatcher's
 * routing hint, handed on to the federated verifier (decodeUnverified) so it is read once.
 */
export function unverifiedSubject(token: string): UnverifiedClaims | null {
  const read = readUnverifiedClaims(token);
  return read.ok ? read.value : null;
}

/**
 * The policy of the issuer's trust-list entry names the targets (RFC 8707) the requesting client
 * may obtain tokens for through that issuer's tokens; empty = any the server serves.
 */
export function checkPolicyTargets(request: ExchangeRequest, policy: IdJagClientPolicy): void {
  if (policy.resources.length === 0) return;
  for (const target of [...request.resources, ...request.audiences]) {
    if (!policy.resources.includes(target)) throw new InvalidTargetError(`The target '${truncate(target)}' is not allowed for tokens exchanged from this issuer's tokens by this client.`);
  }
}

/**
 * The subject is our mapped user and the chain starts empty: another domain's `act` names actors
 * of that domain, which mean nothing here (they are kept in the verified claims, not in our chain).
 */
export function federatedChain(userId: string): Chain {
  return { principal: userId, actors: [] };
}

/** The verified token's issuer, subject and jti, bounded (they are the other domain's values). */
export function federatedOrigin(claims: JWTPayload): FederatedOrigin {
  return {
    subject_iss: truncate(String(claims.iss), 200),
    subject_sub: truncate(String(claims.sub), 200),
    subject_origin_jti: typeof claims.jti === 'string' ? truncate(claims.jti, 256) : null,
  };
}
