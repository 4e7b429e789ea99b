/**
 * Issue 3: an exchanged grant (RFC 8693) may be refreshed, so it keeps what rebuilding its token
 * needs — the actor chain, the profile and the subject's authentication (auth_time, acr, amr);
 * agent_id and resources (the targets) were already stored. docs/storage-schema.md describes every
 * column. All nullable: grants of other types, and exchanged grants written before this migration,
 * have none (those were issued without a refresh token, so nothing ever needs to rebuild them).
 * Same type conventions as 0001-initial.ts (JSON as text, epoch seconds as bigint).
 */
import type { Kysely, Migration } from 'kysely';

type Db = Kysely<unknown>;

/** One ALTER per column: SQLite's ALTER TABLE adds a single column per statement. */
async function grantDelegation(db: Db): Promise<void> {
  await db.schema.alterTable('grants').addColumn('delegation_chain', 'text').execute();
  await db.schema.alterTable('grants').addColumn('delegation_profile', 'text').execute();
  await db.schema.alterTable('grants').addColumn('auth_time', 'bigint').execute();
  await db.schema.alterTable('grants').addColumn('acr', 'text').execute();
  await db.schema.alterTable('grants').addColumn('amr', 'text').execute();
}

export function grantDelegationMigration(): Migration {
  return {
    async up(db) {
      await grantDelegation(db);
    },
  };
}
