/**
 * Two lookups that scanned, made index-bounded.
 *
 * - `sessions.handle` + `sessions_user_handle (user_id, handle)`: the admin and self-service APIs
 *   name a session by a one-way handle of its key (sessions/session-handle.ts); revoking one
 *   searched every page of the user's sessions, deriving each handle, until one matched. The
 *   handle is stored at creation (repositories/sessions.ts) and found by index (its user_id prefix
 *   makes `sessions_user_id` redundant: 0015 drops it). It stays a
 *   non-secret name: a SHA-256 of id_hash under its own label, from which neither the key nor the
 *   cookie can be recovered. Existing rows are backfilled here with that same function (SQLite has
 *   no SHA-256, so in chunks from JS). Nullable: SQLite cannot add a NOT NULL column without a
 *   default, and a null never matches a lookup. Not unique: id_hash is the key, the handle is a
 *   192-bit function of it.
 * - `access_tokens_grantless_client (client_id, expires_at)` and
 *   `access_tokens_grantless_user (user_id, expires_at)`, both partial on `grant_id is null` (the
 *   user one also on `user_id is not null`): revokeLiveGrantless (repositories/tree-revocation.ts) revokes a
 *   client's, an agent's client's or a user's live tokens on no grant, `where client_id = ? | in
 *   (agent's client) | user_id = ? and grant_id is null and revoked_at is null and expires_at > ?`,
 *   and had only access_tokens_expires_at: a scan of every live token of every client under the
 *   locks issuance waits for. The equality then the expiry range reads exactly that owner's live
 *   grant-less tokens. Nothing else reads access_tokens by client_id or user_id. Insert cost: a
 *   token on a grant (authorization code, refresh, exchange) enters neither index; a
 *   client_credentials token only the client one; only user tokens on no grant (ID-JAG, user
 *   jwt-bearer) both. Neither names revoked_at (not even in its predicate), so a revocation stays a
 *   HOT update on PostgreSQL (0010-expiry-indexes.ts says why that matters).
 *
 * Safe to run again (columns.ts): the column only when absent, indexes `if not exists`, and the
 * backfill touches only rows without a handle.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import type { StorageKind } from '../context.ts';
import { sessionHandle } from '../../sessions/session-handle.ts';
import { hasColumn } from './columns.ts';

/** Sessions per backfill statement: 2 parameters each in the CASE, 1 in the IN list (well under both backends' limits). */
const BACKFILL_CHUNK = 500;

async function backfillHandles(db: Kysely<unknown>): Promise<void> {
  let after = '';
  for (;;) {
    // Keyset on the primary key: each chunk is one range of it, whatever the table's size.
    const { rows } = await sql<{ id_hash: string }>`select id_hash from sessions where id_hash > ${after} and handle is null order by id_hash limit ${BACKFILL_CHUNK}`.execute(db);
    const last = rows.at(-1);
    if (last === undefined) return;
    const cases = rows.map((r) => sql`when ${r.id_hash} then ${sessionHandle(r.id_hash)}`);
    const ids = rows.map((r) => r.id_hash);
    await sql`update sessions set handle = case id_hash ${sql.join(cases, sql` `)} end where id_hash in (${sql.join(ids)})`.execute(db);
    after = last.id_hash;
  }
}

export function sessionHandlesGrantlessIndexesMigration(kind: StorageKind): Migration {
  return {
    async up(db) {
      if (!(await hasColumn(db, kind, 'sessions', 'handle'))) await db.schema.alterTable('sessions').addColumn('handle', 'text').execute();
      await backfillHandles(db);
      await db.schema.createIndex('sessions_user_handle').ifNotExists().on('sessions').columns(['user_id', 'handle']).execute();
      await db.schema
        .createIndex('access_tokens_grantless_client')
        .ifNotExists()
        .on('access_tokens')
        .columns(['client_id', 'expires_at'])
        .where(sql.ref('grant_id'), 'is', null)
        .execute();
      await db.schema
        .createIndex('access_tokens_grantless_user')
        .ifNotExists()
        .on('access_tokens')
        .columns(['user_id', 'expires_at'])
        .where(sql.ref('grant_id'), 'is', null)
        .where('user_id', 'is not', null)
        .execute();
    },
  };
}
