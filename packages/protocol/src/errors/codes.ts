/**
 * One class per OAuth / OIDC error code. Status codes follow the RFC that defines each code.
 * Never throw `OAuthError` directly: pick the class whose code the RFC names.
 */
import { OAuthError } from './oauth-error.ts';

/** RFC 6749 §5.2 / §4.1.2.1: missing, duplicated or malformed parameter. */
export class InvalidRequestError extends OAuthError {
  readonly error = 'invalid_request';
  readonly status: number = 400;
}

/** RFC 6749 §5.2: client authentication failed. */
export class InvalidClientError extends OAuthError {
  readonly error = 'invalid_client';
  readonly status: number = 401;
}

/** RFC 6749 §5.2: code, refresh token or assertion invalid, expired, revoked or not for this client. */
export class InvalidGrantError extends OAuthError {
  readonly error = 'invalid_grant';
  readonly status: number = 400;
}

/** RFC 6749 §5.2: the client may not use this grant or response type. */
export class UnauthorizedClientError extends OAuthError {
  readonly error = 'unauthorized_client';
  readonly status: number = 400;
}

/** RFC 6749 §5.2. */
export class UnsupportedGrantTypeError extends OAuthError {
  readonly error = 'unsupported_grant_type';
  readonly status: number = 400;
}

/** RFC 6749 §4.1.2.1. */
export class UnsupportedResponseTypeError extends OAuthError {
  readonly error = 'unsupported_response_type';
  readonly status: number = 400;
}

/** RFC 6749 §5.2: unknown, malformed or broader-than-granted scope. */
export class InvalidScopeError extends OAuthError {
  readonly error = 'invalid_scope';
  readonly status: number = 400;
}

/** RFC 6749 §4.1.2.1: the resource owner or server denied the request. */
export class AccessDeniedError extends OAuthError {
  readonly error = 'access_denied';
  readonly status: number = 403;
}

/** RFC 6749 §4.1.2.1: unexpected condition (never thrown for bad input). */
export class ServerErrorError extends OAuthError {
  readonly error = 'server_error';
  readonly status: number = 500;
}

/** RFC 6749 §4.1.2.1. */
export class TemporarilyUnavailableError extends OAuthError {
  readonly error = 'temporarily_unavailable';
  readonly status: number = 503;
}

/** RFC 8707 §2: the resource indicator is invalid or not allowed. */
export class InvalidTargetError extends OAuthError {
  readonly error = 'invalid_target';
  readonly status: number = 400;
}

/** RFC 9449 §5 / §7.1: the DPoP proof is invalid. */
export class InvalidDpopProofError extends OAuthError {
  readonly error = 'invalid_dpop_proof';
  readonly status: number = 400;
}

/** RFC 9449 §8: the server requires a fresh nonce; the DPoP-Nonce header carries it. */
export class UseDpopNonceError extends OAuthError {
  readonly error = 'use_dpop_nonce';
  readonly status: number = 400;
}

/** RFC 6750 §3.1: the access token is invalid, expired or revoked. */
export class InvalidTokenError extends OAuthError {
  readonly error = 'invalid_token';
  readonly status: number = 401;
}

/** RFC 6750 §3.1. */
export class InsufficientScopeError extends OAuthError {
  readonly error = 'insufficient_scope';
  readonly status: number = 403;
}

/** RFC 9470 §3: stronger or more recent user authentication is needed. */
export class InsufficientUserAuthenticationError extends OAuthError {
  readonly error = 'insufficient_user_authentication';
  readonly status: number = 401;
}

/** RFC 9396 §5: authorization_details invalid or of an unknown type. */
export class InvalidAuthorizationDetailsError extends OAuthError {
  readonly error = 'invalid_authorization_details';
  readonly status: number = 400;
}

/** OIDC Core §3.1.2.6 / RFC 9126 §4: request_uri unknown, expired or used. */
export class InvalidRequestUriError extends OAuthError {
  readonly error = 'invalid_request_uri';
  readonly status: number = 400;
}

/** RFC 9101 §6.2. */
export class InvalidRequestObjectError extends OAuthError {
  readonly error = 'invalid_request_object';
  readonly status: number = 400;
}

/** OIDC Core §3.1.2.6: request objects are not supported. */
export class RequestNotSupportedError extends OAuthError {
  readonly error = 'request_not_supported';
  readonly status: number = 400;
}

/** OIDC Core §3.1.2.6: prompt=none and no session. */
export class LoginRequiredError extends OAuthError {
  readonly error = 'login_required';
  readonly status: number = 400;
}

/** OIDC Core §3.1.2.6: prompt=none and consent is needed. */
export class ConsentRequiredError extends OAuthError {
  readonly error = 'consent_required';
  readonly status: number = 400;
}

/** OIDC Core §3.1.2.6: prompt=none and interaction is needed. */
export class InteractionRequiredError extends OAuthError {
  readonly error = 'interaction_required';
  readonly status: number = 400;
}

/** OIDC Core §3.1.2.6. */
export class AccountSelectionRequiredError extends OAuthError {
  readonly error = 'account_selection_required';
  readonly status: number = 400;
}

/** RFC 7591 §3.2.2: a redirect URI is not acceptable. */
export class InvalidRedirectUriError extends OAuthError {
  readonly error = 'invalid_redirect_uri';
  readonly status: number = 400;
}

/** RFC 7591 §3.2.2: client metadata invalid. */
export class InvalidClientMetadataError extends OAuthError {
  readonly error = 'invalid_client_metadata';
  readonly status: number = 400;
}

/** RFC 7591 §3.2.2. */
export class InvalidSoftwareStatementError extends OAuthError {
  readonly error = 'invalid_software_statement';
  readonly status: number = 400;
}

/** RFC 7591 §3.2.2: the software is not on the allowlist. */
export class UnapprovedSoftwareStatementError extends OAuthError {
  readonly error = 'unapproved_software_statement';
  readonly status: number = 400;
}

/** RFC 7009 §2.2.1 / RFC 8693 §2.2.2. */
export class UnsupportedTokenTypeError extends OAuthError {
  readonly error = 'unsupported_token_type';
  readonly status: number = 400;
}

/** Too many requests; Retry-After tells when to try again (not an RFC 6749 code; used by DCR and login). */
export class RateLimitedError extends OAuthError {
  readonly error = 'rate_limited';
  readonly status: number = 429;
}

/** Admin API: the named object does not exist. */
export class NotFoundError extends OAuthError {
  readonly error = 'not_found';
  readonly status: number = 404;
}

/** Every error code this package knows, for exhaustive tests and docs. */
export const OAUTH_ERROR_CLASSES = {
  invalid_request: InvalidRequestError,
  invalid_client: InvalidClientError,
  invalid_grant: InvalidGrantError,
  unauthorized_client: UnauthorizedClientError,
  unsupported_grant_type: UnsupportedGrantTypeError,
  unsupported_response_type: UnsupportedResponseTypeError,
  invalid_scope: InvalidScopeError,
  access_denied: AccessDeniedError,
  server_error: ServerErrorError,
  temporarily_unavailable: TemporarilyUnavailableError,
  invalid_target: InvalidTargetError,
  invalid_dpop_proof: InvalidDpopProofError,
  use_dpop_nonce: UseDpopNonceError,
  invalid_token: InvalidTokenError,
  insufficient_scope: InsufficientScopeError,
  insufficient_user_authentication: InsufficientUserAuthenticationError,
  invalid_authorization_details: InvalidAuthorizationDetailsError,
  invalid_request_uri: InvalidRequestUriError,
  invalid_request_object: InvalidRequestObjectError,
  request_not_supported: RequestNotSupportedError,
  login_required: LoginRequiredError,
  consent_required: ConsentRequiredError,
  interaction_required: InteractionRequiredError,
  account_selection_required: AccountSelectionRequiredError,
  invalid_redirect_uri: InvalidRedirectUriError,
  invalid_client_metadata: InvalidClientMetadataError,
  invalid_software_statement: InvalidSoftwareStatementError,
  unapproved_software_statement: UnapprovedSoftwareStatementError,
  unsupported_token_type: UnsupportedTokenTypeError,
  rate_limited: RateLimitedError,
  not_found: NotFoundError,
} as const;

export type OAuthErrorCode = keyof typeof OAUTH_ERROR_CLASSES;
