/**
 * The agent registry (ID-2): creating, changing, suspending and re-activating agents. Owners
 * (routes.ts) and administrators (admin/agents.ts) share these functions; the callers decide
 * who may touch which agent. Suspension stops an agent at once: every grant it acts in is
 * revoked with its tree (and so every token), and the revocation feed learns of it (CO-1).
 */
import { AccessDeniedError, InvalidRequestError } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import { randomId } from '../crypto/hash.ts';
import type { AgentRecord, AgentSuspender } from '../storage/records.ts';
import { checkAgentKeys } from './keys.ts';
import type { CreateAgentInput, UpdateAgentInput } from './schemas.ts';

type Ctx = Pick<ServerContext, 'storage' | 'now'>;

export async function createAgent(ctx: Ctx, ownerUserId: string, input: CreateAgentInput): Promise<AgentRecord> {
  const owner = await ctx.storage.users.get(ownerUserId);
  if (!owner || owner.disabled) throw new InvalidRequestError(`The owner ${ownerUserId} does not exist or is disabled.`);
  await checkAgentKeys(input.jwks);
  const t = ctx.now();
  const agent: AgentRecord = {
    id: randomId('agt'),
    name: input.name,
    description: input.description,
    ownerUserId,
    allowedScopes: unique(input.allowed_scopes),
    allowedAudiences: unique(input.allowed_audiences),
    allowedTools: unique(input.allowed_tools),
    maxDelegationDepth: input.max_delegation_depth,
    status: 'active',
    suspendedBy: null,
    attestation: definedOnly(input.attestation),
    jwks: input.jwks,
    clientId: null,
    createdAt: t,
    updatedAt: t,
  };
  await ctx.storage.agents.create(agent);
  return agent;
}

/**
 * Applies a partial update. Narrowing an agent's limits does not revoke tokens already issued
 * (they expire soon); suspend the agent to stop it at once.
 */
export async function updateAgent(ctx: Ctx, agent: AgentRecord, input: UpdateAgentInput): Promise<AgentRecord> {
  if (input.jwks !== undefined) await checkAgentKeys(input.jwks);
  const updated: AgentRecord = {
    ...agent,
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.description !== undefined ? { description: input.description } : {}),
    ...(input.allowed_scopes !== undefined ? { allowedScopes: unique(input.allowed_scopes) } : {}),
    ...(input.allowed_audiences !== undefined ? { allowedAudiences: unique(input.allowed_audiences) } : {}),
    ...(input.allowed_tools !== undefined ? { allowedTools: unique(input.allowed_tools) } : {}),
    ...(input.max_delegation_depth !== undefined ? { maxDelegationDepth: input.max_delegation_depth } : {}),
    ...(input.attestation !== undefined ? { attestation: definedOnly(input.attestation) } : {}),
    ...(input.jwks !== undefined ? { jwks: input.jwks } : {}),
    updatedAt: ctx.now(),
  };
  await ctx.storage.agents.update(updated);
  return updated;
}

/**
 * Suspends the agent and revokes every grant it acts in; returns the grants revoked. Idempotent.
 * `by` records who suspended it: an administrator's suspension outranks the owner's (the owner
 * cannot lift it), so suspending again as the owner never turns an administrator's into one.
 */
export async function suspendAgent(ctx: Ctx, agent: AgentRecord, reason: string, by: AgentSuspender): Promise<{ agent: AgentRecord; revokedGrants: string[] }> {
  const t = ctx.now();
  const suspendedBy = suspenderAfter(agent, by);
  const suspended: AgentRecord = agent.status === 'suspended' && agent.suspendedBy === suspendedBy ? agent : { ...agent, status: 'suspended', suspendedBy, updatedAt: t };
  if (suspended !== agent) await ctx.storage.agents.update(suspended);
  // Even when already suspended: a grant created in a race with the first suspension dies now.
  const revokedGrants = await ctx.storage.grants.revokeByAgent(agent.id, t, reason);
  return { agent: suspended, revokedGrants };
}

function suspenderAfter(agent: AgentRecord, by: AgentSuspender): AgentSuspender {
  if (by === 'admin' || agent.status !== 'suspended') return by;
  return agent.suspendedBy ?? 'admin'; // a suspension of unknown origin counts as an administrator's
}

/**
 * Re-activates a suspended agent. Grants revoked by the suspension stay revoked. An owner
 * (`by` 'owner') may lift only their own suspension: an administrator's — the admin API, or
 * the owner's deprovisioning — is refused with access_denied.
 */
export async function activateAgent(ctx: Ctx, agent: AgentRecord, by: AgentSuspender): Promise<AgentRecord> {
  const owner = await ctx.storage.users.get(agent.ownerUserId);
  if (!owner || owner.disabled) throw new InvalidRequestError(`The owner of the agent ${agent.id} is disabled: enable the owner first.`);
  if (agent.status === 'active') return agent;
  if (by === 'owner' && agent.suspendedBy !== 'owner') throw new AccessDeniedError(`The agent ${agent.id} was suspended by an administrator; only an administrator can re-activate it.`);
  const active: AgentRecord = { ...agent, status: 'active', suspendedBy: null, updatedAt: ctx.now() };
  await ctx.storage.agents.update(active);
  return active;
}

/**
 * Binds (or unbinds, with null) the client whose client_credentials tokens stand for the agent.
 * Admin only. Only registered clients (static, admin, DCR) qualify: a Client ID Metadata Document
 * client is defined by whoever serves the document. Reads ctx.storage, never ctx.clients, so it
 * runs inside the caller's transaction.
 */
export async function bindAgentClient(ctx: Ctx, agent: AgentRecord, clientId: string | null): Promise<AgentRecord> {
  if (clientId !== null) {
    if (!(await ctx.storage.clients.get(clientId))) throw new InvalidRequestError(`No registered client ${clientId}.`);
    const holder = await ctx.storage.agents.getByClientId(clientId);
    if (holder && holder.id !== agent.id) throw new InvalidRequestError(`The client ${clientId} already stands for the agent ${holder.id}.`);
  }
  const bound: AgentRecord = { ...agent, clientId, updatedAt: ctx.now() };
  await ctx.storage.agents.update(bound);
  return bound;
}

const PAGE = 200;
/** Guards against a storage that would keep listing the same page. */
const MAX_PAGES = 10_000;

/**
 * ID-2: an agent is deprovisioned with its owner. Suspends every agent of the user, as an
 * administrator's suspension (the admin API and SCIM deprovision): re-enabling the owner does not
 * let the owner re-activate them; an administrator does.
 */
export async function suspendAgentsOfOwner(ctx: Ctx, userId: string, reason: string): Promise<{ agentIds: string[]; revokedGrants: string[] }> {
  const agentIds: string[] = [];
  const revokedGrants: string[] = [];
  for (let page = 0; page < MAX_PAGES; page++) {
    const agents = await ctx.storage.agents.list({ ownerUserId: userId, limit: PAGE, offset: page * PAGE });
    for (const agent of agents) {
      const result = await suspendAgent(ctx, agent, reason, 'admin');
      agentIds.push(agent.id);
      revokedGrants.push(...result.revokedGrants);
    }
    if (agents.length < PAGE) break;
  }
  return { agentIds, revokedGrants };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** Attestation without absent members; null when nothing is left. */
function definedOnly(attestation: CreateAgentInput['attestation']): Record<string, string> | null {
  if (!attestation) return null;
  const entries = Object.entries(attestation).filter((e): e is [string, string] => typeof e[1] === 'string');
  return entries.length > 0 ? Object.fromEntries(entries) : null;
}
