/**
 * The grant types the token endpoint serves: one line per grant. Anything else is
 * `unsupported_grant_type` (RFC 6749 §5.2) — in particular there is no `password` grant
 * and no implicit flow (OAuth 2.1 §10.1, §10.2). Issue 3 adds token exchange (RFC 8693) and
 * the JWT bearer grant (RFC 7523) through `registerGrantHandler`.
 */
import { GrantType } from '@mandate/protocol';
import type { GrantHandler } from './types.ts';
import { authorizationCodeGrant } from './authorization-code/index.ts';
import { refreshTokenGrant } from './refresh-token/index.ts';
import { clientCredentialsGrant } from './client-credentials/index.ts';
import { tokenExchangeGrant } from './token-exchange/index.ts';
import { jwtBearerGrant } from './jwt-bearer/index.ts';

const handlers = new Map<string, GrantHandler>([
  [GrantType.AuthorizationCode, authorizationCodeGrant], // RFC 6749 §4.1.3, RFC 7636 §4.5
  [GrantType.RefreshToken, refreshTokenGrant], // RFC 6749 §6, OAuth 2.1 §4.3
  [GrantType.ClientCredentials, clientCredentialsGrant], // RFC 6749 §4.4
  [GrantType.TokenExchange, tokenExchangeGrant], // RFC 8693
  [GrantType.JwtBearer, jwtBearerGrant], // RFC 7523 §2.1: workload identity (CL-8), ID-JAG (DL-3)
]);

/** Adds (or replaces) the handler of a grant type. Called at module load by grant modules of later issues. */
export function registerGrantHandler(grantType: string, handler: GrantHandler): void {
  handlers.set(grantType, handler);
}

export function grantHandler(grantType: string): GrantHandler | undefined {
  return handlers.get(grantType);
}

/** For metadata (`grant_types_supported`, RFC 8414 §2). */
export function supportedGrantTypes(): string[] {
  return [...handlers.keys()];
}
