/**
 * Retention walks in expiry order (storage/maintenance.ts) for tables whose purge candidates are
 * exactly the rows with `expires_at < cutoff` (sessions, authorization codes). A chunk is
 * `where expires_at < ? and (expires_at, key) > (?, ?) order by expires_at, key limit ?`: a range
 * scan of the index (expires_at, key) (migration 0010-expiry-indexes) that starts right after the
 * previous chunk's last row and stops at the cutoff, so no chunk re-reads rows an earlier one
 * passed (kept evidence, or PostgreSQL index entries of rows deleted but not yet vacuumed), and
 * unexpired rows are never read at all.
 *
 * The cursor is the last row's (expires_at, key) as one string, `<expires_at>:<key>`, because
 * maintenance keeps every table's cursor as a string; the key is everything after the first
 * colon (expires_at is an integer), so keys containing colons round-trip.
 */

/** Before every real row: expires_at is epoch seconds, and '' sorts first in every collation. */
const START: readonly [number, string] = [Number.MIN_SAFE_INTEGER, ''];

/** The (expires_at, key) a chunk starts after; null, or a cursor this module did not write, means from the start. */
export function expiryCursorParams(cursor: string | null): readonly [number, string] {
  if (cursor === null) return START;
  const colon = cursor.indexOf(':');
  const expiresAt = Number(cursor.slice(0, colon));
  if (colon < 1 || !Number.isSafeInteger(expiresAt)) return START;
  return [expiresAt, cursor.slice(colon + 1)];
}

/**
 * The cursor after a chunk: its last row's, or null when the chunk came back short (the walk
 * reached the cutoff; the next sweep starts over). Taken from the rows in the order the database
 * returned them, never re-sorted here: JavaScript's string order need not be the column's collation.
 */
export function nextExpiryCursor<R extends { expires_at: number | string }>(page: readonly R[], limit: number, key: (row: R) => string): string | null {
  const last = page[page.length - 1];
  if (page.length < limit || last === undefined) return null;
  return `${Number(last.expires_at)}:${key(last)}`;
}
