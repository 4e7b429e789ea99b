/** The checks of a client credentials request (RFC 6749 §4.4.2). */
import { formatScope, InvalidScopeError, UnauthorizedClientError } from '@mandate/protocol';
import type { MandateConfig } from '../../config/config.ts';
import type { ClientRecord } from '../../storage/records.ts';
import { checkScopeAllowed, parseRequestedScope, scopeTokens } from '../../checks/scope.ts';

/** RFC 6749 §4.4: "MUST only be used by confidential clients" (CIMD clients qualify through private_key_jwt). */
export function checkConfidentialClient(client: ClientRecord): void {
  if (client.tokenEndpointAuthMethod === 'none') {
    throw new UnauthorizedClientError('Public clients cannot use the client_credentials grant (RFC 6749 §4.4): authenticate with a secret or private_key_jwt.');
  }
}

/** Scopes that only make sense with a user: there is none in this grant. */
const USER_ONLY_SCOPES = new Set(['openid', 'offline_access']);

/**
 * RFC 6749 §3.3 / §4.4.2: the requested scope must be supported and allowed for the client. When
 * omitted, the client's registered scope (less user-only scopes) is the pre-defined default.
 */
export function clientCredentialsScope(requested: string | undefined, client: ClientRecord, config: Pick<MandateConfig, 'scopesSupported'>): string {
  const asked = parseRequestedScope(requested);
  if (asked.size === 0) return formatScope(scopeTokens(client.scope).filter((s) => !USER_ONLY_SCOPES.has(s)));
  for (const s of asked) {
    if (USER_ONLY_SCOPES.has(s)) throw new InvalidScopeError(`The scope '${s}' needs a user and cannot be granted to a client acting for itself.`);
  }
  checkScopeAllowed(asked, client, config);
  return formatScope(asked);
}
