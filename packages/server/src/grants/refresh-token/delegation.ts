/**
 * Refreshing an exchanged grant (RFC 8693 §2.2.1 refresh_token, issue 3). The refresh token stands
 * for the derived grant, so the chain is re-checked as strictly as a new exchange would be, and
 * the new access token is rebuilt from the grant: same profile claims (sub / act / on_behalf_of),
 * same agent claims, scope ≤ the grant's, audience = the grant's targets.
 * The checks, in order (index.ts has already checked the token, its client, its DPoP key, the
 * grant itself and the user; the family's lifetime is checked here only, from its root):
 *   - every ancestor grant is still unrevoked and its agent active: a refresh token never lets
 *     the delegation outlive a revoked parent, even one revoked in a race with the exchange;
 *   - the family is within its absolute lifetime counted from the root user grant
 *     (RFC 9700 §4.14.2): chaining exchanges never extends the user's authorization;
 *   - the acting agent is active and its owner enabled (ID-2), re-read inside the transaction;
 *   - scope and targets within the grant (RFC 6749 §6, RFC 8707) and within the agent's current
 *     allowedScopes / allowedAudiences (DL-4): an owner's narrowing applies at the next refresh;
 *   - the chain within today's depth limits (RFC 8693 §4.1, DL-4): the server's
 *     `tokenExchange.maxDepth`, each target's `maxDepth` and the acting agent's
 *     `maxDelegationDepth`, as the exchange checked them (profile.ts maxChainDepth) — lowering a
 *     limit stops the refreshes of a deeper chain (invalid_grant), not only new exchanges.
 */
import { formatScope, InvalidGrantError, InvalidScopeError } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import { scopeTokens } from '../../checks/scope.ts';
import { loadActiveAgent } from '../../agents/identity.ts';
import type { AgentRecord, GrantDelegation, GrantRecord, RefreshTokenRecord } from '../../storage/records.ts';
import { narrowGrant, type Narrowed } from '../shared/narrow.ts';
import { isBroken, liveAncestors } from '../token-exchange/grant-tree.ts';
import { checkAgentAudiences } from '../token-exchange/target.ts';
import { maxChainDepth } from '../token-exchange/profile.ts';
import type { TokenRequest, TokenResponseBody } from '../types.ts';
import { issueDelegatedTokens } from './delegation-issue.ts';
import { checkRefreshFamilyLifetime, familyStartOf } from './family-lifetime.ts';

export interface DelegatedRefresh {
  grant: GrantRecord;
  /** When the refresh family began: the root user grant's creation (RFC 9700 §4.14.2). */
  familyStartedAt: number;
  delegation: GrantDelegation;
  agent: AgentRecord | null;
  narrowed: Narrowed;
  /** Scopes the agent may no longer hold, dropped from this token (for the audit). */
  dropped: string[];
}

export async function refreshDelegation(req: TokenRequest, record: RefreshTokenRecord, grant: GrantRecord, delegation: GrantDelegation): Promise<TokenResponseBody> {
  const { ctx } = req;
  const ancestors = await checkAncestorsLive(ctx, grant);
  // An exchange never restarts the clock: the user's own authorization bounds every grant below it.
  const familyStartedAt = familyStartOf(grant, ancestors);
  checkRefreshFamilyLifetime(ctx, grant.id, familyStartedAt);
  const agent = grant.agentId === null ? null : await loadActiveAgent(ctx, grant.agentId); // ID-2: invalid_grant
  const narrowed = narrowGrant(req.params, record, ctx.config); // RFC 6749 §6 scope, RFC 8707 resource
  checkAgentAudiences(agent, narrowed.resources); // DL-4: the agent's audiences today
  checkChainDepth(ctx, delegation, narrowed.resources, agent); // RFC 8693 §4.1: the depth limits today
  const { scope, dropped } = withinAgentScopes(narrowed.scope, agent);
  return issueDelegatedTokens(req, record, { grant, familyStartedAt, delegation, agent, narrowed: { ...narrowed, scope }, dropped });
}

async function checkAncestorsLive(ctx: ServerContext, grant: GrantRecord): Promise<GrantRecord[]> {
  const walk = await liveAncestors(ctx, grant.parentGrantId);
  if (isBroken(walk)) throw new InvalidGrantError('The grant this delegation derives from has been revoked.', { detail: walk.broken });
  return walk;
}

/** The chain as written at the exchange (its actors, the current one included) against today's limits. */
function checkChainDepth(ctx: ServerContext, delegation: GrantDelegation, targets: readonly string[], agent: AgentRecord | null): void {
  const depth = delegation.chain.actors.length;
  const max = maxChainDepth(ctx.config, targets, agent?.maxDelegationDepth ?? null);
  if (depth > max) throw new InvalidGrantError(`The actor chain of this delegation is ${depth} deep; at most ${max} is allowed now for this agent and target.`);
}

/** DL-4: the agent's allowedScopes bound every token it holds; what it lost since the exchange is dropped. */
function withinAgentScopes(scope: string, agent: AgentRecord | null): { scope: string; dropped: string[] } {
  const asked = scopeTokens(scope);
  if (agent === null) return { scope, dropped: [] };
  const allowed = new Set(agent.allowedScopes);
  const kept = asked.filter((s) => allowed.has(s));
  const dropped = asked.filter((s) => !allowed.has(s));
  if (kept.length === 0) throw new InvalidScopeError(`The agent '${agent.id}' may no longer hold any of the scopes of this grant.`);
  return { scope: formatScope(new Set(kept)), dropped };
}
