/**
 * How the token grants see an agent (issue 3): R3-B's token exchange and R3-C's jwt-bearer grant
 * call these, so every path refuses a stopped agent the same way and puts the same claims in.
 */
import { InvalidGrantError, InvalidRequestError } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import type { AgentRecord } from '../storage/records.ts';

/**
 * The agent, when it may act now: it exists, is active, and its owner exists and is enabled
 * (ID-2: an agent is deprovisioned with its owner). Otherwise `invalid_grant` (RFC 6749 §5.2).
 */
export async function loadActiveAgent(ctx: Pick<ServerContext, 'storage'>, agentId: string): Promise<AgentRecord> {
  const agent = await ctx.storage.agents.get(agentId);
  if (!agent) throw new InvalidGrantError(`Unknown agent ${agentId}.`);
  await checkAgentActive(ctx, agent);
  return agent;
}

/**
 * The agent a client's client_credentials tokens stand for, or null when the client is no agent's.
 * A suspended agent (or one whose owner is disabled) is `invalid_grant`: its client may not act.
 */
export async function agentForClient(ctx: Pick<ServerContext, 'storage'>, clientId: string): Promise<AgentRecord | null> {
  const agent = await ctx.storage.agents.getByClientId(clientId);
  if (agent) await checkAgentActive(ctx, agent);
  return agent;
}

async function checkAgentActive(ctx: Pick<ServerContext, 'storage'>, agent: AgentRecord): Promise<void> {
  if (agent.status !== 'active') throw new InvalidGrantError(`The agent ${agent.id} is suspended.`);
  const owner = await ctx.storage.users.get(agent.ownerUserId);
  if (!owner || owner.disabled) throw new InvalidGrantError(`The owner of the agent ${agent.id} is disabled or no longer exists.`);
}

/**
 * ID-2 "suspending an agent stops it at once": suspension marks the agent, then revokes its grants.
 * Re-reading the agent inside the issuing transaction closes the gap between the two — either this
 * grant is written before the revocation (and revoked by it) or the suspension is seen here.
 * An exchange refuses with invalid_request (RFC 8693 §2.2.2), a refresh with invalid_grant.
 */
export async function checkAgentStillActive(txCtx: Pick<ServerContext, 'storage'>, agent: AgentRecord | null, Refusal: new (message: string) => Error = InvalidRequestError): Promise<void> {
  if (agent === null) return;
  // A plain read would not do on PostgreSQL (READ COMMITTED): a suspension committing after it
  // would revoke before this grant commits and never see it. The share lock makes it wait.
  const current = await txCtx.storage.agents.getForShare(agent.id);
  if (!current || current.status !== 'active') throw new Refusal(`The agent '${agent.id}' was suspended: it cannot act.`);
}

/** The claims naming an agent in a token (docs/architecture.md "Agents"). */
export interface AgentClaims {
  /** The agent's `agt_…` id. */
  agent_id: string;
  /** EN-4 attestation (model, runtime, publisher), when the agent has any. */
  agent_attestation?: Record<string, string>;
}

/** What every token issued for or with an agent carries (AU-2 attribution, EN-4 attestation). */
export function agentClaims(agent: AgentRecord): AgentClaims {
  const attestation = agent.attestation && Object.keys(agent.attestation).length > 0 ? { ...agent.attestation } : null;
  return { agent_id: agent.id, ...(attestation ? { agent_attestation: attestation } : {}) };
}
