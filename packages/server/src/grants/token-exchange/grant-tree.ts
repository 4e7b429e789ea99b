/**
 * The grants an exchanged grant derives from (CO-1): its parent, the parent's parent, … up to the
 * user's own grant. Revocation cascades down this tree in storage; walking it up again is what
 * lets a refresh refuse a grant whose ancestor was revoked in a race with the exchange (the
 * child written just after the cascade ran), and what tells whether the root grant allows
 * offline access at all.
 */
import type { ServerContext } from '../../context.ts';
import type { GrantRecord } from '../../storage/records.ts';
import { MAX_READABLE_DEPTH } from './act-chain.ts';

/** Why a walk stopped short of the root: a link is missing or revoked, or the tree is implausibly deep. */
export interface BrokenAncestry {
  broken: string;
}

/**
 * The ancestors of a grant, parent first and root last, each still unrevoked and, when an agent
 * acts in it, that agent still active (ID-2, as endpoints/token-state.ts judges a grant live).
 */
export async function liveAncestors(ctx: Pick<ServerContext, 'storage'>, parentGrantId: string | null): Promise<GrantRecord[] | BrokenAncestry> {
  const out: GrantRecord[] = [];
  const seen = new Set<string>();
  let id = parentGrantId;
  while (id !== null) {
    // A cycle can never be written by the exchange, but a walk over stored data must end anyway.
    if (seen.has(id) || out.length > MAX_READABLE_DEPTH) return { broken: `grant tree above ${parentGrantId ?? ''} is cyclic or too deep` };
    seen.add(id);
    const grant = await ctx.storage.grants.get(id);
    if (!grant) return { broken: `ancestor grant ${id} missing` };
    if (grant.revokedAt !== null) return { broken: `ancestor grant ${id} revoked: ${grant.revokedReason ?? ''}` };
    if (grant.agentId !== null && (await ctx.storage.agents.get(grant.agentId))?.status !== 'active') return { broken: `agent ${grant.agentId} of ancestor grant ${id} not active` };
    out.push(grant);
    id = grant.parentGrantId;
  }
  return out;
}

export function isBroken(walk: GrantRecord[] | BrokenAncestry): walk is BrokenAncestry {
  return !Array.isArray(walk);
}
