/**
 * Errors a resource server answers with. Each carries its HTTP status and the challenge
 * parameters of RFC 6750 §3 (Bearer), RFC 9449 §7.1 (DPoP) and RFC 9470 §3 (step-up).
 */

export interface ChallengeParams {
  scope?: string[];
  acrValues?: string[];
  maxAge?: number;
}

export abstract class ResourceServerError extends Error {
  abstract readonly error: string;
  abstract readonly status: number;
  readonly params: ChallengeParams;
  constructor(description: string, params: ChallengeParams = {}) {
    super(description);
    this.params = params;
  }
}

/** RFC 6750 §3.1: malformed request (token in the query, several credentials...) → 400. */
export class InvalidRequestError extends ResourceServerError {
  readonly error = 'invalid_request';
  readonly status = 400;
}

/**
 * RFC 9110 §15.5.14: the body is larger than we accept → 413, with the RFC 6750 error body. Its
 * own class: "invalid_request" as a 400 would tell the client the JSON is wrong, not its size.
 */
export class PayloadTooLargeError extends ResourceServerError {
  readonly error = 'invalid_request';
  readonly status = 413;
}

/** RFC 6750 §3.1: expired, revoked, malformed or not-for-us token → 401. */
export class InvalidTokenError extends ResourceServerError {
  readonly error = 'invalid_token';
  readonly status = 401;
}

/** RFC 6750 §3.1: the token lacks scope → 403 with every needed scope (STEP-1). */
export class InsufficientScopeError extends ResourceServerError {
  readonly error = 'insufficient_scope';
  readonly status = 403;
}

/** RFC 9470 §3: the authentication behind the token is too weak or too old → 401. */
export class InsufficientUserAuthenticationError extends ResourceServerError {
  readonly error = 'insufficient_user_authentication';
  readonly status = 401;
}

/** RFC 9449 §7.1: the DPoP proof is missing or invalid → 401 with the DPoP scheme. */
export class InvalidDpopProofError extends ResourceServerError {
  readonly error = 'invalid_dpop_proof';
  readonly status = 401;
}

/**
 * No room in the replay cache for a new proof (token/replay-cache.ts): our capacity, not a fault of the
 * caller's credential, so not audited as a security event (audit/events.ts isSecurityRefusal).
 */
export class DpopCapacityError extends InvalidDpopProofError {
  constructor(
    message: string,
    /** 'key': one key's quota of live proofs (that caller's rate); 'cache': the whole cache (ours). */
    readonly scope: 'key' | 'cache',
  ) {
    super(message);
  }
}

/** RFC 9449 §9: the proof must carry the nonce sent in the DPoP-Nonce header → 401. */
export class UseDpopNonceError extends ResourceServerError {
  readonly error = 'use_dpop_nonce';
  readonly status = 401;
}

/**
 * The token cannot be checked right now (the authorization server is unreachable and nothing
 * cached can decide): fail closed with 503 so clients retry rather than re-authenticate (TS-1).
 */
export class TemporarilyUnavailableError extends ResourceServerError {
  readonly error = 'temporarily_unavailable';
  readonly status = 503;
}

/** No credentials at all: RFC 6750 §3.1 says the challenge then carries no error code. */
export class MissingTokenError extends ResourceServerError {
  readonly error = '';
  readonly status = 401;
}
