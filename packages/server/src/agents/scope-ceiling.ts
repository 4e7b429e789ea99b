/**
 * An owner cannot give their agent more authority than they hold (ID-2, DL-4: the agent acts
 * within its owner's delegation). Mandate's own management scopes — the `mandate:` namespace:
 * mandate:admin (admin API), mandate:scim (SCIM), mandate:audit (audit ingest) and any added
 * later — are an administrator's, so only an administrator may put them in an agent's
 * allowed_scopes through the owner API. The scopes every user holds for themselves
 * (mandate:agents, mandate:account) stay open to owners. The admin API (admin/agents.ts) sets
 * anything: it is the administrator's own act.
 *
 * Why here and not only at the protected APIs (admin/auth.ts re-checks the user's isAdmin or the
 * client's registration): an agent's allowed_scopes feed token issuance directly — a workload
 * jwt-bearer token for the agent is its allowed_scopes ∩ scopes_supported (jwt-bearer/workload.ts),
 * with no user behind it — so a reserved scope must never get into the list in the first place.
 */
import { InvalidRequestError } from '@mandate/protocol';
import { isAdministratorScope } from '../endpoints/paths.ts';
import type { UserRecord } from '../storage/records.ts';


/**
 * Refuses (400 invalid_request) an allowed_scopes list holding a reserved scope, unless the owner
 * is an administrator. `kept` are the agent's current allowed scopes: on update a reserved scope an
 * administrator already granted may stay (narrowing the list is always allowed), never be added.
 */
export function checkOwnerScopeCeiling(owner: Pick<UserRecord, 'isAdmin'>, requested: readonly string[] | undefined, kept: readonly string[] = []): void {
  if (!requested || owner.isAdmin) return;
  const refused = requested.find((s) => isAdministratorScope(s) && !kept.includes(s));
  if (refused !== undefined) {
    throw new InvalidRequestError(`Invalid body.allowed_scopes: '${refused}' is reserved to administrators; an owner cannot give an agent more authority than they hold.`);
  }
}
