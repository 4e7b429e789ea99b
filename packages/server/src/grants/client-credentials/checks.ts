/** The checks of a client credentials request (RFC 6749 §4.4.2). */
import { formatScope, InvalidScopeError, UnauthorizedClientError } from '@mandate/protocol';
import type { MandateConfig } from '../../config/config.ts';
import type { AgentRecord, ClientRecord } from '../../storage/records.ts';
import { checkScopeAllowed, parseRequestedScope, scopeTokens } from '../../checks/scope.ts';
import { clientCredentialsAgentScope, type AgentScopeDecision } from './agent-limits.ts';
import { isSelfRegistered } from '../../clients/self-registered.ts';
import { checkSelfRegisteredScopes, selfRegisteredClientCredentialsScopes, USER_ONLY_SCOPES } from './self-registered.ts';

type ScopeConfig = Pick<MandateConfig, 'scopesSupported' | 'selfRegisteredClients'>;

/** RFC 6749 §4.4: "MUST only be used by confidential clients" (CIMD clients qualify through private_key_jwt). */
export function checkConfidentialClient(client: ClientRecord): void {
  if (client.tokenEndpointAuthMethod === 'none') {
    throw new UnauthorizedClientError('Public clients cannot use the client_credentials grant (RFC 6749 §4.4): authenticate with a secret or private_key_jwt.');
  }
}

/**
 * What a client may hold through its own credentials (RFC 6749 §3.3, §4.4.2): the client
 * credentials grant, and a workload jwt-bearer token of the client (jwt-bearer/workload.ts), which
 * never buys more than these credentials could.
 *   - `allowed`, what it may ask for: its registered scope, any supported scope when it registered
 *     none (checks/scope.ts); for a self-registered client (DCR, CIMD) only the operator's list
 *     within it (self-registered.ts: none → invalid_scope). Supported and never user-only.
 *   - `byDefault`, what it gets when it asks for nothing (§3.3 "pre-defined default value"): its
 *     registered scope less user-only scopes — nothing for a client that registered none, never
 *     every scope the server supports (administrator scopes included).
 * For a client bound to an agent both are `allowed` within the agent's allowedScopes (DL-4, ID-2):
 * as in an exchange (token-exchange/bounds.ts), its default is everything the agent may hold.
 */
export interface ClientScopeAllowance {
  allowed: ReadonlySet<string>;
  byDefault: ReadonlySet<string>;
}

export function clientScopeAllowance(client: ClientRecord, config: ScopeConfig, agent: AgentRecord | null = null): ClientScopeAllowance {
  const selfRegistered = isSelfRegistered(client) ? selfRegisteredClientCredentialsScopes(client, config) : null;
  const registered = [...(selfRegistered ?? scopeTokens(client.scope))].filter((s) => !USER_ONLY_SCOPES.has(s));
  const supported = config.scopesSupported.filter((s) => !USER_ONLY_SCOPES.has(s));
  const allowed = selfRegistered === null && client.scope.trim() === '' ? supported : registered.filter((s) => supported.includes(s));
  if (agent === null) return { allowed: new Set(allowed), byDefault: new Set(registered) };
  const agentAllowed = new Set(allowed.filter((s) => agent.allowedScopes.includes(s)));
  return { allowed: agentAllowed, byDefault: agentAllowed };
}

/**
 * RFC 6749 §3.3 / §4.4.2: the requested scope must be supported and allowed for the client, else
 * invalid_scope; when omitted, the client's default (clientScopeAllowance). For a client bound to
 * an agent, the agent's allowedScopes bound the result too, with the reason of every scope
 * dropped for the audit (agent-limits.ts).
 */
export function clientCredentialsScope(requested: string | undefined, client: ClientRecord, config: ScopeConfig, agent: AgentRecord | null = null): AgentScopeDecision {
  const asked = parseRequestedScope(requested);
  if (asked.size === 0) {
    const own = clientScopeAllowance(client, config); // the agent's bound applied below, where the audit learns why
    return agent ? clientCredentialsAgentScope(null, own.allowed, agent) : { scope: formatScope(own.byDefault), narrowed: [] };
  }
  // The benchmarked case: only the requested scopes are checked, no allowance is built.
  for (const s of asked) {
    if (USER_ONLY_SCOPES.has(s)) throw new InvalidScopeError(`The scope '${s}' needs a user and cannot be granted to a client acting for itself.`);
  }
  checkScopeAllowed(asked, client, config);
  if (isSelfRegistered(client)) checkSelfRegisteredScopes(asked, selfRegisteredClientCredentialsScopes(client, config));
  return agent ? clientCredentialsAgentScope(asked, new Set(), agent) : { scope: formatScope(asked), narrowed: [] };
}
