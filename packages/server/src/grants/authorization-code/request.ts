/**
 * RFC 6749 §4.1.3 / RFC 7636 §4.5: the parameters of an authorization code token request,
 * checked for presence and syntax before the code is touched, so a malformed request never
 * consumes a code.
 */
import { InvalidRequestError } from '@mandate/protocol';
import type { MandateConfig } from '../../config/config.ts';
import type { Params } from '../../http/params.ts';
import type { ClientRecord } from '../../storage/records.ts';
import { parseRequestedScope } from '../../checks/scope.ts';
import { checkResourceIndicators } from '../../checks/resource-indicators.ts';
import { parseAuthorizationDetails } from '../../checks/authorization-details.ts';

export interface CodeRequest {
  code: string;
  codeVerifier: string;
  redirectUri: string;
  /** Whether `redirect_uri` was in the request (RFC 6749 §4.1.3: required when /authorize had it). */
  redirectUriSent: boolean;
}

/** RFC 7636 §4.1: code_verifier = 43*128unreserved; unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~". */
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

export function readCodeRequest(
  params: Params,
  client: Pick<ClientRecord, 'redirectUris'>,
  config: Pick<MandateConfig, 'resources' | 'authorizationDetailsTypes'>,
): CodeRequest {
  const code = params.require('code');
  // OAuth 2.1 §4.1.3: every code is issued with a code_challenge, so the verifier is always required.
  const codeVerifier = params.get('code_verifier');
  if (codeVerifier === undefined) throw new InvalidRequestError("The 'code_verifier' parameter is required (PKCE, RFC 7636 §4.5).");
  if (!CODE_VERIFIER.test(codeVerifier)) {
    throw new InvalidRequestError('code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1).');
  }
  // OAuth 2.1 §4.1.3: redirect_uri is required when the authorization request carried one. /authorize
  // lets a client with exactly one registered URI omit it; then that URI is the only one the code can
  // carry, and checkRedirectUri compares the code against it. Whether the authorization request
  // sent it is known only from the code (checkRedirectUriRepeated).
  const sent = params.get('redirect_uri');
  const only = client.redirectUris.length === 1 ? client.redirectUris[0] : undefined;
  const redirectUri = sent ?? only;
  if (redirectUri === undefined) throw new InvalidRequestError("The 'redirect_uri' parameter is required: it must repeat the one of the authorization request.");
  checkNarrowingSyntax(params, config);
  return { code, codeVerifier, redirectUri, redirectUriSent: sent !== undefined };
}

/**
 * scope (RFC 6749 §3.3), resource (RFC 8707 §2) and authorization_details (RFC 9396 §2): their
 * syntax is checked here, before the code is consumed, so a malformed value is refused while the
 * code stays redeemable (otherwise the corrected retry would look like a replay and revoke the
 * grant, RFC 6749 §4.1.2). Whether they stay within the grant is checked after consumption, by
 * narrowGrant, which parses them again (a cheap, idempotent parse).
 */
function checkNarrowingSyntax(params: Params, config: Pick<MandateConfig, 'resources' | 'authorizationDetailsTypes'>): void {
  const scope = params.get('scope');
  if (scope !== undefined) parseRequestedScope(scope);
  checkResourceIndicators(params.getAll('resource'), config);
  parseAuthorizationDetails(params.get('authorization_details'), config.authorizationDetailsTypes);
}
