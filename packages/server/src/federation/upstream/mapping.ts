/**
 * Claim → role and group mapping, applied on every login through a provider, so a change at the
 * company's IdP (a person leaves the admins group) takes effect at their next sign-in here.
 * Roles are set to exactly what the mappings grant (the provider is the authority for them);
 * for groups, only the groups this provider's mappings name are touched.
 */
import type { ServerContext } from '../../context.ts';
import { randomId } from '../../crypto/hash.ts';
import type { UserRecord } from '../../storage/records.ts';
import type { UpstreamProvider } from '../upstream-schema.ts';
import { UpstreamLoginError } from './errors.ts';
import type { UpstreamClaims } from './token.ts';

export interface MappedAccess {
  admin: boolean;
  /** Group displayNames the user belongs to through this provider. */
  groups: string[];
}

/** A claim matches when it equals the value, or is an array containing it. */
function claimMatches(claims: UpstreamClaims, claim: string, value: string | number | boolean): boolean {
  const actual = claims[claim];
  return Array.isArray(actual) ? actual.some((v) => v === value) : actual === value;
}

export function mappedAccess(provider: UpstreamProvider, claims: UpstreamClaims): MappedAccess {
  const admin = provider.roleMappings.some((m) => m.role === 'admin' && claimMatches(claims, m.claim, m.value));
  const groups = [...new Set(provider.groupMappings.filter((m) => claimMatches(claims, m.claim, m.value)).map((m) => m.group))];
  return { admin, groups };
}

/**
 * Writes the mapped access onto the user (inside the caller's transaction); returns the user as stored.
 * The row is re-read locked (users.getForUpdate) and the role written onto that: users.update
 * replaces the whole row, so a write from the caller's earlier, unlocked read would undo an
 * administrator's disable or a SCIM password change committed in between. A disable committed
 * in between refuses the login, as the caller's own check does.
 */
export async function applyMappedAccess(ctx: ServerContext, provider: UpstreamProvider, read: UserRecord, access: MappedAccess): Promise<UserRecord> {
  const user = (await ctx.storage.users.getForUpdate(read.id)) ?? read;
  if (user.disabled) throw new UpstreamLoginError('account_disabled', 'user disabled', null, user.id);
  let current = user;
  if (provider.roleMappings.length > 0 && user.isAdmin !== access.admin) {
    current = { ...user, isAdmin: access.admin, updatedAt: ctx.now() };
    await ctx.storage.users.update(current);
  }
  const managed = new Set(provider.groupMappings.map((m) => m.group));
  for (const name of managed) {
    const wanted = access.groups.includes(name);
    let group = await ctx.storage.scim.getGroupByName(name);
    if (!group && !wanted) continue;
    if (!group) {
      const now = ctx.now();
      group = { id: randomId('grp'), displayName: name, externalId: null, createdAt: now, updatedAt: now };
      await ctx.storage.scim.createGroup(group);
    }
    const members = await ctx.storage.scim.listGroupMembers(group.id);
    const isMember = members.includes(user.id);
    if (wanted && !isMember) await ctx.storage.scim.setGroupMembers(group.id, [...members, user.id]);
    if (!wanted && isMember) await ctx.storage.scim.setGroupMembers(group.id, members.filter((id) => id !== user.id));
  }
  return current;
}
