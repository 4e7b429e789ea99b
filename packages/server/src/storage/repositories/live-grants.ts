/**
 * Retention (storage/maintenance.ts): the grants that may still hold a live token. A replayed
 * code or a reused refresh token revokes its grant's whole tree (grants.revokeTree), so the row
 * that detects the replay matters exactly while the tree still holds something to revoke.
 *
 * `live_grants(id)` is every grant with an unrevoked refresh or access token whose expiry is not
 * before the cutoff, plus all their ancestors (a derived grant's tokens die with its root).
 * Derived from the rows themselves, not from configured lifetimes: refresh tokens slide (each
 * rotation gets a fresh ttl.refreshToken), so no configured bound exists for a grant's life.
 * Its two `?` take the cutoff (now − grace), refresh tokens first.
 */
export const LIVE_GRANTS_CTE = `with recursive live_grants(id) as (
  select grant_id from refresh_tokens where revoked_at is null and expires_at >= ?
  union select grant_id from access_tokens where grant_id is not null and revoked_at is null and expires_at >= ?
  union select g.parent_grant_id from grants g join live_grants l on g.id = l.id where g.parent_grant_id is not null
)`;
