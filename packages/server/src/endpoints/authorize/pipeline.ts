/**
 * The authorization request pipeline, shared by /authorize and /par. It runs once the client and
 * its redirect URI are known (those errors are never redirected); every check below may refuse
 * with the RFC's error class, which the caller turns into a redirect (/authorize) or a JSON
 * error (/par).
 *
 *   JAR request object      → request_not_supported          check-request-object.ts
 *   response_type           → OAuth 2.1 §4.1.1               check-response-type.ts
 *   response_mode           → query only                     check-response-mode.ts
 *   PKCE                    → RFC 7636, S256 only            check-pkce.ts
 *   scope                   → RFC 6749 §3.3                  check-scope.ts
 *   resource                → RFC 8707 §2                    check-resource.ts
 *   authorization_details   → RFC 9396 §2                    check-authorization-details.ts
 *   dpop_jkt                → RFC 9449 §10                   check-dpop-jkt.ts
 *   prompt                  → OIDC Core §3.1.2.1             check-prompt.ts
 *   max_age                 → OIDC Core §3.1.2.1             check-max-age.ts
 *   acr_values              → OIDC Core §3.1.2.1             check-acr-values.ts
 *   nonce, hints            → OIDC Core §3.1.2.1             check-oidc-parameters.ts
 */
import type { AuthorizationCheck, CheckInput } from './check.ts';
import type { AuthorizationRequest } from './request.ts';
import type { ResolvedRedirectUri } from './redirect-uri.ts';
import { checkRequestObject } from './check-request-object.ts';
import { checkResponseType } from './check-response-type.ts';
import { checkResponseMode } from './check-response-mode.ts';
import { checkPkce } from './check-pkce.ts';
import { checkScope } from './check-scope.ts';
import { checkResource } from './check-resource.ts';
import { checkAuthorizationDetails } from './check-authorization-details.ts';
import { checkDpopJkt } from './check-dpop-jkt.ts';
import { checkPrompt } from './check-prompt.ts';
import { checkMaxAge } from './check-max-age.ts';
import { checkAcrValues } from './check-acr-values.ts';
import { checkOidcParameters } from './check-oidc-parameters.ts';

export const AUTHORIZATION_CHECKS: readonly AuthorizationCheck[] = [
  checkRequestObject,
  checkResponseType,
  checkResponseMode,
  checkPkce,
  checkScope,
  checkResource,
  checkAuthorizationDetails,
  checkDpopJkt,
  checkPrompt,
  checkMaxAge,
  checkAcrValues,
  checkOidcParameters,
];

/** Runs every check; returns the normalized request or throws the first refusal. */
export async function validateAuthorizationRequest(
  input: CheckInput,
  redirect: ResolvedRedirectUri,
  options: { pushed: boolean },
): Promise<AuthorizationRequest> {
  const request: AuthorizationRequest = {
    clientId: input.client.clientId,
    redirectUri: redirect.redirectUri,
    redirectUriSent: redirect.sent,
    responseType: 'code',
    responseMode: 'query',
    state: input.params.get('state') ?? null,
    scope: '',
    openid: false,
    resources: [],
    authorizationDetails: null,
    codeChallenge: '',
    codeChallengeMethod: 'S256',
    nonce: null,
    prompt: [],
    maxAge: null,
    acrValues: [],
    loginHint: null,
    uiLocales: [],
    dpopJkt: null,
    pushed: options.pushed,
  };
  for (const check of AUTHORIZATION_CHECKS) await check(input, request);
  return request;
}
