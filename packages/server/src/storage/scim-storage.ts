/**
 * SCIM 2.0 storage (issue 5): the provisioning attributes kept in nullable `users` columns, and
 * groups with their members (0006-scim). The tables are typed here rather than in db-types.ts
 * so the SCIM module stays self-contained; the users repository never writes these columns, so
 * its whole-record updates leave them alone.
 */
import type { Kysely, Selectable } from 'kysely';
import type { GroupRecord, ScimUserAttributes } from './records.ts';
import type { Storage } from './storage.ts';
import { changed, fromJsonOrNull, pageOf, toJsonOrNull, withTransaction, type RepoContext } from './context.ts';

interface ScimUserColumns {
  id: string;
  scim_external_id: string | null;
  scim_name: string | null;
  scim_emails: string | null;
  scim_deleted_at: number | null;
  scim_disabled_at: number | null;
}

interface UserGroupsTable {
  id: string;
  display_name: string;
  display_name_lower: string;
  external_id: string | null;
  created_at: number;
  updated_at: number;
}

interface UserGroupMembersTable {
  group_id: string;
  user_id: string;
}

interface ScimDatabase {
  users: ScimUserColumns;
  user_groups: UserGroupsTable;
  user_group_members: UserGroupMembersTable;
}

/** Folded in JS, not SQL, so both backends agree (as users.email_lower does). */
export function groupNameKey(displayName: string): string {
  return displayName.trim().toLowerCase();
}

function groupRow(r: GroupRecord): UserGroupsTable {
  return { id: r.id, display_name: r.displayName, display_name_lower: groupNameKey(r.displayName), external_id: r.externalId, created_at: r.createdAt, updated_at: r.updatedAt };
}

function groupFromRow(row: Selectable<UserGroupsTable>): GroupRecord {
  return { id: row.id, displayName: row.display_name, externalId: row.external_id, createdAt: row.created_at, updatedAt: row.updated_at };
}

export function scimRepository(ctx: RepoContext): Storage['scim'] {
  const db = () => ctx.db as unknown as Kysely<ScimDatabase>;
  return {
    async getUser(userId) {
      const row = await db().selectFrom('users').select(['id', 'scim_external_id', 'scim_name', 'scim_emails', 'scim_deleted_at', 'scim_disabled_at']).where('id', '=', userId).executeTakeFirst();
      if (!row) return null;
      return {
        userId: row.id,
        externalId: row.scim_external_id,
        name: fromJsonOrNull<ScimUserAttributes['name']>(row.scim_name),
        emails: fromJsonOrNull<ScimUserAttributes['emails']>(row.scim_emails),
        deletedAt: row.scim_deleted_at,
        disabledAt: row.scim_disabled_at,
      };
    },
    async setUser(a) {
      const result = await db()
        .updateTable('users')
        .set({ scim_external_id: a.externalId, scim_name: toJsonOrNull(a.name), scim_emails: toJsonOrNull(a.emails), scim_deleted_at: a.deletedAt, scim_disabled_at: a.disabledAt })
        .where('id', '=', a.userId)
        .executeTakeFirst();
      return changed(result) > 0;
    },
    async createGroup(record) {
      await db().insertInto('user_groups').values(groupRow(record)).execute();
    },
    async getGroup(id) {
      const row = await db().selectFrom('user_groups').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? groupFromRow(row) : null;
    },
    async getGroupByName(displayName) {
      const row = await db().selectFrom('user_groups').selectAll().where('display_name_lower', '=', groupNameKey(displayName)).executeTakeFirst();
      return row ? groupFromRow(row) : null;
    },
    async updateGroup(record) {
      const { id, ...rest } = groupRow(record);
      const result = await db().updateTable('user_groups').set(rest).where('id', '=', id).executeTakeFirst();
      return changed(result) > 0;
    },
    async deleteGroup(id) {
      return withTransaction(ctx, async (trx) => {
        const t = trx as unknown as Kysely<ScimDatabase>;
        await t.deleteFrom('user_group_members').where('group_id', '=', id).execute();
        return changed(await t.deleteFrom('user_groups').where('id', '=', id).executeTakeFirst()) > 0;
      });
    },
    async listGroups(page) {
      const { limit, offset } = pageOf(page);
      const rows = await db().selectFrom('user_groups').selectAll().orderBy('created_at').orderBy('id').limit(limit).offset(offset).execute();
      return rows.map(groupFromRow);
    },
    async setGroupMembers(groupId, userIds) {
      const unique = [...new Set(userIds)];
      await withTransaction(ctx, async (trx) => {
        const t = trx as unknown as Kysely<ScimDatabase>;
        await t.deleteFrom('user_group_members').where('group_id', '=', groupId).execute();
        // Chunked: SQLite caps bound parameters per statement.
        for (let i = 0; i < unique.length; i += 400) {
          await t.insertInto('user_group_members').values(unique.slice(i, i + 400).map((user_id) => ({ group_id: groupId, user_id }))).execute();
        }
      });
    },
    async listGroupMembers(groupId) {
      const rows = await db().selectFrom('user_group_members').select('user_id').where('group_id', '=', groupId).orderBy('user_id').execute();
      return rows.map((r) => r.user_id);
    },
    async listGroupsOfUser(userId) {
      const rows = await db()
        .selectFrom('user_group_members')
        .innerJoin('user_groups', 'user_groups.id', 'user_group_members.group_id')
        .selectAll('user_groups')
        .where('user_group_members.user_id', '=', userId)
        .orderBy('user_groups.display_name_lower')
        .execute();
      return rows.map(groupFromRow);
    },
  };
}
