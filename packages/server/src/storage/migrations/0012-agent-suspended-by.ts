/**
 * Who suspended an agent (ID-2): `agents.suspended_by`, `admin` or `owner`, null while active.
 * An owner may lift only their own suspension; an administrator's (the admin API, or a
 * deprovisioning of the owner) stays until an administrator lifts it (agents/registry.ts).
 * Rows suspended before this column existed are marked `admin`: nothing recorded who suspended
 * them, and reading an administrator's suspension as the owner's would let the owner lift it.
 *
 * Safe to run again (columns.ts): the column is added only when absent, and the backfill touches
 * only rows it has not marked.
 */
import { sql, type Migration } from 'kysely';
import { hasColumn } from './columns.ts';
import type { StorageKind } from '../context.ts';

export function agentSuspendedByMigration(kind: StorageKind): Migration {
  return {
    async up(db) {
      if (!(await hasColumn(db, kind, 'agents', 'suspended_by'))) await db.schema.alterTable('agents').addColumn('suspended_by', 'text').execute();
      await sql`update agents set suspended_by = 'admin' where status = 'suspended' and suspended_by is null`.execute(db);
    },
  };
}
