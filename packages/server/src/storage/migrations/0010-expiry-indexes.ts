/**
 * Indexes for the retention purges (storage/maintenance.ts), so a sweep's cost follows the rows
 * it purges, not the size of the table.
 *
 * - `sessions_expires_at (expires_at, id_hash)`, `authorization_codes_expires_at (expires_at,
 *   code_hash)`: exactly the order of their keyset walks (repositories/expiry-walk.ts), `where
 *   expires_at < ? and (expires_at, key) > (?, ?) order by expires_at, key limit ?`, so a chunk is
 *   one index range scan starting at the cursor: no sort, no unexpired row read, no row an earlier
 *   chunk passed read again. Covering for sessions (the walk reads only these two columns).
 *   Appends land at the right end: rows are written with expires_at = now + a fixed lifetime.
 * - `refresh_tokens_grant_expiry (grant_id, expires_at)`: the live-grant probe
 *   (repositories/live-grants.ts) reads a grant's refresh tokens newest expiry first, so it meets
 *   the family's head at once instead of every rotated row the family accumulated (what
 *   refresh_tokens_grant_id alone gives). Deliberately not partial on `rotated_at is null`: an
 *   index naming rotated_at makes every rotation a non-HOT update on PostgreSQL. Measured (8
 *   clients, rotation + successor insert per transaction, 3 pairs): 99.5 % HOT updates and
 *   4,900–5,097 rotations/s without such an index, 0 % HOT and 4,554–4,769/s with it. The refresh
 *   walk itself is a primary-key walk (repositories/refresh-tokens.ts says why no expiry index can
 *   serve it).
 *
 * Plain CREATE INDEX on both backends, like every migration here: PostgreSQL's CREATE INDEX
 * CONCURRENTLY cannot run inside the migration's transaction. The build blocks writes to its
 * table once; `if not exists` lets an operator of a large PostgreSQL deployment build them
 * CONCURRENTLY by hand beforehand, under these names and definitions, and the migration then
 * leaves them be.
 */
import type { Migration } from 'kysely';

export function expiryIndexesMigration(): Migration {
  return {
    async up(db) {
      await db.schema.createIndex('sessions_expires_at').ifNotExists().on('sessions').columns(['expires_at', 'id_hash']).execute();
      await db.schema.createIndex('authorization_codes_expires_at').ifNotExists().on('authorization_codes').columns(['expires_at', 'code_hash']).execute();
      await db.schema.createIndex('refresh_tokens_grant_expiry').ifNotExists().on('refresh_tokens').columns(['grant_id', 'expires_at']).execute();
    },
  };
}
