/**
 * Reading and writing SCIM groups. displayName is unique (case-insensitively); members must be
 * users SCIM shows. Writes run in the caller's transaction and are audited there.
 */
import type { ServerContext } from '../context.ts';
import { randomId } from '../crypto/hash.ts';
import { clientIp } from '../http/client-ip.ts';
import type { GroupRecord } from '../storage/records.ts';
import { invalidValue, notFound, uniqueness } from './errors.ts';
import type { GroupInput, GroupMember } from './group-resource.ts';
import type { WriteContext } from './user-service.ts';

export interface GroupParts {
  group: GroupRecord;
  members: GroupMember[];
}

const PAGE = 500;
const MAX_PAGES = 10_000;

async function members(ctx: ServerContext, groupId: string): Promise<GroupMember[]> {
  const out: GroupMember[] = [];
  for (const id of await ctx.storage.scim.listGroupMembers(groupId)) {
    const user = await ctx.storage.users.get(id);
    if (user) out.push({ id, display: user.name });
  }
  return out;
}

export async function loadGroup(ctx: ServerContext, id: string): Promise<GroupParts> {
  const group = await ctx.storage.scim.getGroup(id);
  if (!group) throw notFound(`No group ${id}.`);
  return { group, members: await members(ctx, id) };
}

export async function allGroups(ctx: ServerContext): Promise<GroupParts[]> {
  const out: GroupParts[] = [];
  for (let page = 0; page < MAX_PAGES; page++) {
    const groups = await ctx.storage.scim.listGroups({ limit: PAGE, offset: page * PAGE });
    for (const group of groups) out.push({ group, members: await members(ctx, group.id) });
    if (groups.length < PAGE) break;
  }
  return out;
}

async function assertNameFree(ctx: ServerContext, displayName: string, selfId: string | null): Promise<void> {
  const holder = await ctx.storage.scim.getGroupByName(displayName);
  if (holder && holder.id !== selfId) throw uniqueness(`A group named ${displayName} already exists.`);
}

/** Every member must be a user SCIM shows: an unknown id is the client's mistake, not a silent drop. */
async function checkMembers(ctx: ServerContext, ids: string[]): Promise<string[]> {
  const unique = [...new Set(ids)];
  for (const id of unique) {
    const attributes = await ctx.storage.scim.getUser(id);
    if (!attributes || attributes.deletedAt !== null) throw invalidValue(`members: no user ${id}.`);
  }
  return unique;
}

async function audit(w: WriteContext, event: string, groupId: string, data: Record<string, unknown> = {}): Promise<void> {
  await w.ctx.audit.record({ event, clientId: w.principal.clientId, ip: clientIp(w.c), result: 'success', data: { jti: w.principal.jti, group_id: groupId, ...data } });
}

export async function createGroup(w: WriteContext, input: GroupInput): Promise<GroupParts> {
  const { ctx } = w;
  await assertNameFree(ctx, input.displayName, null);
  const memberIds = await checkMembers(ctx, input.memberIds ?? []);
  const t = ctx.now();
  const group: GroupRecord = { id: randomId('grp'), displayName: input.displayName, externalId: input.externalId, createdAt: t, updatedAt: t };
  await ctx.storage.scim.createGroup(group);
  await ctx.storage.scim.setGroupMembers(group.id, memberIds);
  await audit(w, 'scim.group.created', group.id, { members: memberIds.length });
  return { group, members: await members(ctx, group.id) };
}

export async function replaceGroup(w: WriteContext, current: GroupParts, input: GroupInput): Promise<GroupParts> {
  const { ctx } = w;
  if (input.displayName.toLowerCase() !== current.group.displayName.toLowerCase()) await assertNameFree(ctx, input.displayName, current.group.id);
  const memberIds = await checkMembers(ctx, input.memberIds ?? []);
  const group: GroupRecord = { ...current.group, displayName: input.displayName, externalId: input.externalId, updatedAt: ctx.now() };
  await ctx.storage.scim.updateGroup(group);
  await ctx.storage.scim.setGroupMembers(group.id, memberIds);
  const before = new Set(current.members.map((m) => m.id));
  const after = new Set(memberIds);
  await audit(w, 'scim.group.updated', group.id, {
    added: memberIds.filter((id) => !before.has(id)),
    removed: [...before].filter((id) => !after.has(id)),
  });
  return { group, members: await members(ctx, group.id) };
}

export async function deleteGroup(w: WriteContext, current: GroupParts): Promise<void> {
  await w.ctx.storage.scim.deleteGroup(current.group.id);
  await audit(w, 'scim.group.deleted', current.group.id);
}
