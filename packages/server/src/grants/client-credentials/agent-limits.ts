/**
 * A client bound to an agent (AgentRecord.clientId) gets client_credentials tokens that stand for
 * the agent (agent_id claim, AU-2): the agent proves itself with them, e.g. as an actor token.
 * DL-4 / ID-2 "the agent never holds more than the user and its own limits": the agent's
 * allowedScopes and allowedAudiences bound these tokens as they bound an exchange
 * (token-exchange/bounds.ts, scope.ts, target.ts) and a workload jwt-bearer token. Both lists are
 * the most the agent may hold; empty means nothing (storage/records.ts), never "no limit".
 * Audiences: withinAgentAudiences below (RFC 8707 §2 → invalid_target).
 */
import { formatScope, InvalidScopeError, InvalidTargetError } from '@mandate/protocol';
import type { AgentRecord } from '../../storage/records.ts';
import { intersectBounds, type ScopeBound } from '../token-exchange/scope.ts';
import { checkAgentAudiences } from '../token-exchange/target.ts';

export interface AgentScopeDecision {
  scope: string;
  /** Why each requested scope was left out (`mcp:write: not allowed by agent agt_…`), for the audit (AU-2). */
  narrowed: string[];
}

/**
 * Granted = requested (or, with none, the client's default) ∩ the agent's allowedScopes. As in an
 * exchange, a requested scope the agent may not hold is dropped, not refused (RFC 6749 §3.3 lets
 * the server grant less; the response names the scope granted, §5.1). Nothing left →
 * invalid_scope (RFC 6749 §5.2): never an unbounded or empty token for the agent.
 */
export function clientCredentialsAgentScope(requested: ReadonlySet<string> | null, clientDefault: ReadonlySet<string>, agent: AgentRecord): AgentScopeDecision {
  const agentBound: ScopeBound = { name: `agent ${agent.id}`, scopes: new Set(agent.allowedScopes) };
  const bounds: ScopeBound[] = requested ? [agentBound] : [{ name: 'client default', scopes: clientDefault }, agentBound];
  const { granted, narrowed } = intersectBounds(requested, bounds);
  if (granted.size === 0) {
    const why = narrowed.length > 0 ? ` (${narrowed.join('; ')})` : '';
    throw new InvalidScopeError(`No scope is left within the allowed scopes of the agent '${agent.id}' this client stands for${why}.`);
  }
  return { scope: formatScope(granted), narrowed };
}


/**
 * RFC 8707 §2 / DL-4: the audience the token will actually carry must be one the agent may reach.
 * With no `resource` that is the default audience (tokens/access-token.ts defaultAudience, the
 * issuer), so an agent whose allowedAudiences do not list it — in particular an empty list,
 * "nothing" — is refused invalid_target rather than handed a token for the issuer.
 */
export function withinAgentAudiences(agent: AgentRecord | null, resources: readonly string[], defaultAudience: readonly string[]): void {
  if (agent === null) return;
  if (resources.length > 0) return checkAgentAudiences(agent, resources);
  if (defaultAudience.every((a) => agent.allowedAudiences.includes(a))) return;
  throw new InvalidTargetError(
    `The agent '${agent.id}' this client stands for may not obtain tokens for the default audience (this issuer): name one of its allowed audiences with \`resource\`.`,
  );
}
