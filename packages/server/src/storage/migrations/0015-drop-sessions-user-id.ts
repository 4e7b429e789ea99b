/**
 * `sessions_user_id` (0001) is the prefix of `sessions_user_handle (user_id, handle)` (0014), which
 * serves its lookups (sessions.listForUser, revokeAllForUser) as well: one index less to write per
 * sign-in and session revocation. Its own migration, not a change to 0014, so that a database
 * already migrated past 0014 drops it too. `if exists`: safe to run again.
 */
import type { Migration } from 'kysely';

export function dropSessionsUserIdMigration(): Migration {
  return {
    async up(db) {
      await db.schema.dropIndex('sessions_user_id').ifExists().execute();
    },
  };
}
