/**
 * Issue 5, SCIM 2.0 (RFC 7643/7644): the user attributes a provisioning client sets that Mandate's
 * user record does not carry, and groups. docs/storage-schema.md describes every column. Same type
 * conventions as 0001-initial.ts (JSON as text, epoch seconds as bigint).
 */
import type { Kysely, Migration } from 'kysely';

type Db = Kysely<unknown>;

/** All nullable: users created by the admin API or the dev seed have none. One ALTER per column (SQLite). */
async function userAttributes(db: Db): Promise<void> {
  await db.schema.alterTable('users').addColumn('scim_external_id', 'text').execute();
  await db.schema.alterTable('users').addColumn('scim_name', 'text').execute();
  await db.schema.alterTable('users').addColumn('scim_emails', 'text').execute();
  // A SCIM DELETE keeps the (disabled) user for the audit trail; SCIM no longer shows it.
  await db.schema.alterTable('users').addColumn('scim_deleted_at', 'bigint').execute();
  // When SCIM disabled the user; cleared by every other deprovisioning (account/deprovision.ts):
  // SCIM re-activates only users whose disablement is its own (scim/user-guards.ts). Null = not SCIM's.
  await db.schema.alterTable('users').addColumn('scim_disabled_at', 'bigint').execute();
}

async function groups(db: Db): Promise<void> {
  await db.schema
    .createTable('user_groups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('display_name', 'text', (c) => c.notNull())
    // RFC 7643 §4.2: displayName is not caseExact; uniqueness is enforced on the folded form.
    .addColumn('display_name_lower', 'text', (c) => c.notNull().unique())
    .addColumn('external_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('user_group_members')
    .addColumn('group_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('user_group_members_pk', ['group_id', 'user_id'])
    .execute();
  // A user's groups (the User resource's `groups` attribute).
  await db.schema.createIndex('user_group_members_user_id').on('user_group_members').column('user_id').execute();
}

export function scimMigration(): Migration {
  return {
    async up(db) {
      await userAttributes(db);
      await groups(db);
    },
  };
}
