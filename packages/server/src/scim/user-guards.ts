/**
 * Limits on what a SCIM client may do to a user, whatever its bearer token (scope mandate:scim)
 * says, and what a credential change through SCIM takes with it. A provisioning client manages the
 * workforce; it must not become a way around the administrators:
 *
 * - Administrators (`isAdmin`) are read-only to SCIM (PUT, PATCH, DELETE → 403): otherwise whoever
 *   holds the identity provider's SCIM token could set an administrator's password or rename their
 *   login email to a mailbox they control, and sign in with `mandate:admin`.
 * - SCIM re-activates only users SCIM disabled: an administrator who disabled a compromised account
 *   must not see the next routine `active: true` sync undo it. `scim_disabled_at` is set when SCIM
 *   deactivates a user and cleared by every other deprovisioning (account/deprovision.ts, which the
 *   admin API's disable calls, even for a user SCIM had already disabled); a user disabled without
 *   that mark (admin API, dev seed, before this column) is re-enabled by an administrator only.
 * - A new password or login email ends the user's sessions and revokes their grants with their
 *   trees (refresh and access tokens, on the revocation feed): whoever held the old credential, or
 *   a session opened with it, must not keep access.
 */
import type { ServerContext } from '../context.ts';
import type { ScimUserAttributes, UserRecord } from '../storage/records.ts';
import { forbidden } from './errors.ts';

export function assertNotAdministrator(user: UserRecord): void {
  if (user.isAdmin) {
    throw forbidden(`User ${user.id} is an administrator: SCIM may read but not modify or delete administrators. An administrator manages them through the admin API.`);
  }
}

/** True while the user's disablement is SCIM's own (nobody disabled them again since). */
function disabledByScim(user: UserRecord, attributes: ScimUserAttributes): boolean {
  return user.disabled && attributes.disabledAt !== null;
}

export function assertMayReactivate(user: UserRecord, attributes: ScimUserAttributes): void {
  if (user.disabled && !disabledByScim(user, attributes)) {
    throw forbidden(`User ${user.id} was disabled by an administrator, not through SCIM: only an administrator can re-enable them.`);
  }
}

export interface CredentialChangeEffects {
  endedSessions: number;
  revokedGrants: string[];
}

/** In the caller's transaction, like account/deprovision.ts; the user stays enabled. */
export async function endSessionsAndGrants(ctx: Pick<ServerContext, 'storage' | 'now'>, userId: string, reason: string): Promise<CredentialChangeEffects> {
  const endedSessions = await ctx.storage.sessions.revokeAllForUser(userId, ctx.now());
  const revokedGrants = await ctx.storage.grants.revokeByUser(userId, ctx.now(), reason);
  return { endedSessions, revokedGrants };
}
