/**
 * Retention (storage/maintenance.ts): which grants may still hold a live token. A replayed code
 * or a reused refresh token revokes its grant's whole tree (grants.revokeTree), so the row that
 * detects the replay matters exactly while the tree still holds something to revoke.
 *
 * A grant is live when it, or a grant derived from it (parent_grant_id, recursively), holds an
 * unrevoked access token or an unrevoked, never rotated refresh token whose expiry is not before
 * the cutoff. A rotated refresh token is not counted: it is no credential any more (presenting it
 * is reuse before its revocation is even read, grants/refresh-token/load.ts; introspection reports
 * it inactive), so revoking it changes nothing and it gives a replay nothing to revoke. Counting it
 * would also keep a revoked grant's lone rotated row alive by itself. The probe reads the index
 * refresh_tokens_grant_expiry (migration 0010) backwards, newest expiry first: the family's head
 * (the newest token has the latest expiry) comes first, not its whole history of rotated rows. Derived from the rows
 * themselves, not from configured lifetimes: refresh tokens slide (each rotation gets a fresh
 * ttl.refreshToken up to the family's end, ttl.refreshTokenAbsolute), and rows written before
 * that end existed can expire later, so only the rows bound a grant's life exactly.
 *
 * Evaluated only for `seed`, the grants of one chunk of purge candidates, walking DOWN from them
 * (grants_parent_grant_id, refresh_tokens_grant_expiry, access_tokens_grant_id): the work follows
 * the chunk, never the whole token population. Same answer as walking up from every live token
 * to its ancestors: a seed is live iff some live token's grant is the seed or a descendant.
 * Deliberately blind to grants.revoked_at: a grant marked revoked can still hold an unrevoked
 * token (a token issued while revokeTree ran, or a row written revoked), and a replay then
 * revokes that token; excluding revoked grants would delete that evidence.
 * `union`, not `union all`: a (corrupt) parent cycle ends the walk instead of looping.
 * The token checks are scalar subqueries with `limit 1`, not EXISTS: PostgreSQL may turn an
 * EXISTS under OR into a hashed subplan built from EVERY live token (a scan of the whole table
 * per statement); a scalar subquery is never hashed, so it stays one index probe per tree node.
 */

import { withTransaction, type RepoContext, type StorageKind } from '../context.ts';
import { affected, execute } from '../statements.ts';

/**
 * A JSON array parameter as a one-column row set (`value`). One placeholder whatever the
 * chunk's size, so the statement text is fixed: statements.ts and the SQLite driver cache by text.
 */
function jsonList(kind: StorageKind): string {
  return kind === 'sqlite' ? '(select value from json_each(?))' : '(select value from json_array_elements_text(?::json))';
}

/**
 * `column` is one of a JSON array parameter's values, as a primary-key lookup per value. On
 * PostgreSQL `= any(array(…))`: an index condition; `in (select … from json_array_elements_text)`
 * was planned as a merge join over the whole primary-key index.
 */
export function inJsonList(kind: StorageKind, column: string): string {
  return kind === 'sqlite' ? `${column} in (select value from json_each(?))` : `${column} = any(array(select json_array_elements_text(?::json)))`;
}

/**
 * `seed(id)`: the chunk's grant ids; `live(id)`: those of them that are live. Three `?`: the
 * seed ids as a JSON array, then the cutoff twice (refresh tokens, access tokens).
 */
export function liveSeedGrantsCte(kind: StorageKind): string {
  return `with recursive seed(id) as ${jsonList(kind)},
tree(root, id) as (
  select id, id from seed
  union select t.root, g.id from grants g join tree t on g.parent_grant_id = t.id
),
live(id) as (
  select t.root from tree t
  where (select 1 from refresh_tokens r where r.grant_id = t.id and r.expires_at >= ? and r.rotated_at is null and r.revoked_at is null order by r.expires_at desc limit 1) is not null
     or (select 1 from access_tokens a where a.grant_id = t.id and a.revoked_at is null and a.expires_at >= ? limit 1) is not null
)`;
}

/**
 * Runs a purge DELETE built on liveSeedGrantsCte. On PostgreSQL without JIT, in its own short
 * transaction (`set local`): the planner cannot know how deep a chunk's grant trees go, puts the
 * recursive walk's cost far above `jit_above_cost` (100,000 by default), and would JIT-compile
 * every purge statement (tens of milliseconds each) for a walk that meets a handful of rows.
 */
export function purgeDelete(ctx: RepoContext, text: string, params: readonly unknown[]): Promise<number> {
  if (ctx.kind !== 'postgres') return affected(ctx, text, params);
  return withTransaction(ctx, async (db) => {
    const tx: RepoContext = { ...ctx, db, inTransaction: true };
    await execute(tx, 'set local jit = off', []);
    return affected(tx, text, params);
  });
}
