/**
 * Deprovisioning a user (ID-2): the one path the admin API (POST /admin/v1/users/:id/disable) and
 * SCIM (active=false, DELETE) share, so a user switched off either way ends up in the same state:
 *   - login refused (users.disabled; the interaction checks it on every sign-in),
 *   - their browser sessions end,
 *   - their agents are suspended, and every grant those agents act in is revoked with its tree,
 *   - every grant of the user is revoked with its tree — and so every refresh and access token,
 *     each published on the revocation feed (CO-1).
 *   - every vault entry of the user (issue 5, VA-2) is marked `revoked`: no release, and no
 *     refresh, from that instant. Revocation at the provider (RFC 7009) is network I/O that does
 *     not belong inside the caller's transaction; `TokenVault.unlinkAllForUser` does it after
 *     commit (it revokes and deletes entries already marked revoked).
 * Callers run it inside their transaction, the user row locked first, and audit it with the returned ids.
 */
import type { ServerContext } from '../context.ts';
import type { UserRecord } from '../storage/records.ts';
import { suspendAgentsOfOwner } from '../agents/registry.ts';

export interface Deprovisioned {
  user: UserRecord;
  /** Grants revoked: the agents' grants first, then the user's own. */
  revokedGrants: string[];
  suspendedAgents: string[];
  /** Vault entries marked revoked (their ids; no token). */
  revokedVaultEntries: string[];
}

/**
 * `user`: the row as read FOR UPDATE (users.getForUpdate), or written, in the caller's
 * transaction — the admin route and SCIM lock it before deciding anything about the user.
 */
export async function deprovisionUser(ctx: Pick<ServerContext, 'storage' | 'now'>, user: UserRecord, reason: string): Promise<Deprovisioned> {
  // PostgreSQL lock order: the user row first (the caller's lock: the whole-row update below
  // then starts from the committed row, and a concurrent SCIM or admin write waits for this
  // one), then the agents and every grant tree this revokes, before any is touched, in the order
  // issuance takes them (agent → grants → tokens); several revocations in one transaction would
  // otherwise cross an exchange or refresh and deadlock (grants.lockUserTrees). The trees
  // exchanged from the tokens on no grant of the user and of the agents' clients too: the second
  // agent's would otherwise be locked after the first agent's events took the audit lock.
  await ctx.storage.grants.lockUserTrees(user.id, ctx.now());
  const updated: UserRecord = user.disabled ? user : { ...user, disabled: true, updatedAt: ctx.now() };
  if (updated !== user) await ctx.storage.users.update(updated);
  // Whoever disables last owns the disablement: SCIM marks its own after this call, so an
  // administrator's disable clears SCIM's mark and SCIM can no longer re-activate (scim/user-guards.ts).
  const scim = await ctx.storage.scim.getUser(user.id);
  if (scim && scim.disabledAt !== null) await ctx.storage.scim.setUser({ ...scim, disabledAt: null });
  await ctx.storage.sessions.revokeAllForUser(user.id, ctx.now());
  const agents = await suspendAgentsOfOwner(ctx, user.id, `owner ${reason}`);
  const own = await ctx.storage.grants.revokeByUser(user.id, ctx.now(), `user ${reason}`);
  const revokedVaultEntries = await revokeVaultEntries(ctx, user.id);
  return { user: updated, revokedGrants: [...agents.revokedGrants, ...own], suspendedAgents: agents.agentIds, revokedVaultEntries };
}

/** Marks (rather than deletes) so the provider-side revocation can still find the tokens afterwards. */
async function revokeVaultEntries(ctx: Pick<ServerContext, 'storage' | 'now'>, userId: string): Promise<string[]> {
  const revoked: string[] = [];
  for (const entry of await ctx.storage.vault.entries.listForUser(userId)) {
    if (entry.status === 'revoked') continue;
    await ctx.storage.vault.entries.setStatus(entry.id, 'revoked', 'user_deprovisioned', ctx.now());
    revoked.push(entry.id);
  }
  return revoked;
}
