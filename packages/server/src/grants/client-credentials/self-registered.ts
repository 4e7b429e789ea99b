/**
 * Client credentials for self-registered clients (DCR, RFC 7591; Client ID Metadata Documents).
 *
 * Such a client is anonymous: anyone may publish a document or (under the open policy) register,
 * and name any scope it likes in its metadata. The authorization code grant still puts a user's
 * consent between that claim and a token; client credentials has no user (RFC 6749 §4.4), so the
 * registered scope alone would mint machine tokens with whatever scopes the client wrote down.
 * The operator decides instead: `selfRegisteredClients.clientCredentialsScopes` lists what such a
 * client may get, and the grant gives at most that list intersected with the registered scope.
 */
import { InvalidScopeError } from '@mandate/protocol';
import type { MandateConfig } from '../../config/config.ts';
import type { ClientRecord } from '../../storage/records.ts';
import { scopeTokens } from '../../checks/scope.ts';

/** Scopes that only make sense with a user: there is none in this grant (RFC 6749 §4.4). */
export const USER_ONLY_SCOPES: ReadonlySet<string> = new Set(['openid', 'offline_access']);

/**
 * The scopes a self-registered client may receive through client credentials: the operator's list
 * intersected with its registered scope, less user-only scopes — dropped before the emptiness
 * check, so an operator list of only `openid` yields invalid_scope (RFC 6749 §5.2), never an
 * empty or unrestricted token.
 */
export function selfRegisteredClientCredentialsScopes(client: Pick<ClientRecord, 'scope'>, config: Pick<MandateConfig, 'selfRegisteredClients'>): Set<string> {
  const operator = new Set(config.selfRegisteredClients.clientCredentialsScopes);
  const allowed = new Set(scopeTokens(client.scope).filter((s) => operator.has(s) && !USER_ONLY_SCOPES.has(s)));
  if (allowed.size === 0) {
    throw new InvalidScopeError(
      'Self-registered clients receive client_credentials scopes only from the operator setting selfRegisteredClients.clientCredentialsScopes, and it grants this client none.',
    );
  }
  return allowed;
}

/** RFC 6749 §3.3: every requested scope must be within what the operator allows this client. */
export function checkSelfRegisteredScopes(asked: ReadonlySet<string>, allowed: ReadonlySet<string>): void {
  for (const s of asked) {
    if (!allowed.has(s)) {
      throw new InvalidScopeError(`The scope '${s}' is not available to self-registered clients through client_credentials (selfRegisteredClients.clientCredentialsScopes).`);
    }
  }
}
