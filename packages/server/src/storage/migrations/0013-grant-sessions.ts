/**
 * CO-1 (issue 3): revoking a user's session revokes everything derived from it. A grant created by
 * an interactive authorization records the login session it came from (`session_id_hash`, the
 * SHA-256 the sessions table is keyed by), so ending that session can find and revoke the grant's
 * tree (repositories/session-revocation.ts). Exchanged child grants leave it null: the tree walk
 * reaches them through parent_grant_id.
 *
 * Nullable, no backfill: grants written before this migration cannot be traced to a session (the
 * authorization codes that named it are purged after expiry); they stay revocable by grant,
 * consent, agent or user. No foreign key: sessions are purged after expiry while their grants live on.
 */
import type { Migration } from 'kysely';
import type { StorageKind } from '../context.ts';
import { hasColumn } from './columns.ts';

export function grantSessionsMigration(kind: StorageKind): Migration {
  return {
    async up(db) {
      // Run again (columns.ts): the column only when absent, the index `if not exists`.
      if (!(await hasColumn(db, kind, 'grants', 'session_id_hash'))) await db.schema.alterTable('grants').addColumn('session_id_hash', 'text').execute();
      // Partial: most grants (client_credentials, exchanged) have no session.
      await db.schema.createIndex('grants_session_id_hash').ifNotExists().on('grants').column('session_id_hash').where('session_id_hash', 'is not', null).execute();
    },
  };
}
