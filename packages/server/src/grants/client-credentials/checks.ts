/** The checks of a client credentials request (RFC 6749 §4.4.2). */
import { formatScope, InvalidScopeError, UnauthorizedClientError } from '@mandate/protocol';
import type { MandateConfig } from '../../config/config.ts';
import type { AgentRecord, ClientRecord } from '../../storage/records.ts';
import { checkScopeAllowed, parseRequestedScope, scopeTokens } from '../../checks/scope.ts';
import { clientCredentialsAgentScope, type AgentScopeDecision } from './agent-limits.ts';
import { isSelfRegistered } from '../../clients/self-registered.ts';
import { checkSelfRegisteredScopes, selfRegisteredClientCredentialsScopes, USER_ONLY_SCOPES } from './self-registered.ts';

/** RFC 6749 §4.4: "MUST only be used by confidential clients" (CIMD clients qualify through private_key_jwt). */
export function checkConfidentialClient(client: ClientRecord): void {
  if (client.tokenEndpointAuthMethod === 'none') {
    throw new UnauthorizedClientError('Public clients cannot use the client_credentials grant (RFC 6749 §4.4): authenticate with a secret or private_key_jwt.');
  }
}

/**
 * RFC 6749 §3.3 / §4.4.2: the requested scope must be supported and allowed for the client. When
 * omitted, the client's registered scope (less user-only scopes) is the pre-defined default. For
 * self-registered clients (DCR, CIMD) "allowed" is further limited by the operator (self-registered.ts).
 * For a client bound to an agent, the agent's allowedScopes bound the result too (agent-limits.ts).
 */
export function clientCredentialsScope(
  requested: string | undefined,
  client: ClientRecord,
  config: Pick<MandateConfig, 'scopesSupported' | 'selfRegisteredClients'>,
  agent: AgentRecord | null = null,
): AgentScopeDecision {
  const asked = parseRequestedScope(requested);
  const selfRegistered = isSelfRegistered(client) ? selfRegisteredClientCredentialsScopes(client, config) : null;
  if (asked.size === 0) {
    const registered = [...(selfRegistered ?? scopeTokens(client.scope))].filter((s) => !USER_ONLY_SCOPES.has(s));
    if (!agent) return { scope: formatScope(registered), narrowed: [] };
    // A client registered without a scope may ask for any supported scope (checks/scope.ts), so,
    // as in an exchange (token-exchange/bounds.ts), its default is then everything the agent may hold.
    const supported = config.scopesSupported.filter((s) => !USER_ONLY_SCOPES.has(s));
    const defaults = selfRegistered === null && client.scope.trim() === '' ? supported : registered.filter((s) => supported.includes(s));
    return clientCredentialsAgentScope(null, new Set(defaults), agent);
  }
  for (const s of asked) {
    if (USER_ONLY_SCOPES.has(s)) throw new InvalidScopeError(`The scope '${s}' needs a user and cannot be granted to a client acting for itself.`);
  }
  checkScopeAllowed(asked, client, config);
  if (selfRegistered) checkSelfRegisteredScopes(asked, selfRegistered);
  return agent ? clientCredentialsAgentScope(asked, new Set(), agent) : { scope: formatScope(asked), narrowed: [] };
}
