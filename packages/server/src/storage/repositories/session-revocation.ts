/**
 * CO-1 (issue 3): "revoking a user's session revokes everything derived from it, downstream
 * exchanged tokens included". A session's grants are those an interactive authorization created
 * under it (grants.session_id_hash, migration 0013); revokeTrees (grants.ts) revokes each with
 * its derived (exchanged) grants and every refresh and access token, appending the revocation
 * events, in the same transaction that ends the session.
 *
 * A new login replacing a session (interaction/session.ts startSession) does not come here: it
 * only ends the old session row, and the grants issued under it live on.
 */
import { sql, type Selectable } from 'kysely';
import type { SessionsTable } from '../db-types.ts';
import type { SessionRecord } from '../records.ts';
import { changed, pageOf, withTransaction, type RepoContext } from '../context.ts';
import { revokeTrees } from './tree-revocation.ts';

export async function listSessionsForUser(
  ctx: RepoContext,
  userId: string,
  filter: { now: number; includeEnded?: boolean; offset?: number },
  fromRow: (row: Selectable<SessionsTable>) => SessionRecord,
): Promise<SessionRecord[]> {
  let q = ctx.db.selectFrom('sessions').selectAll().where('user_id', '=', userId);
  if (!filter.includeEnded) q = q.where('revoked_at', 'is', null).where('expires_at', '>', filter.now);
  // A user has few sessions (one per browser, until they expire and are purged): pages of the default size.
  const { limit, offset } = pageOf({ offset: filter.offset });
  const rows = await q.orderBy('created_at', 'desc').orderBy('id_hash').limit(limit).offset(offset).execute();
  return rows.map(fromRow);
}

export function revokeSessionWithGrants(ctx: RepoContext, idHash: string, at: number, reason: string): Promise<{ ended: boolean; revokedGrants: string[] }> {
  return withTransaction(ctx, async (db) => {
    const tx: RepoContext = { ...ctx, db, inTransaction: true };
    // The session row first, locked even when already ended (the update below then changes nothing):
    // an authorization completing under it holds it `for share` until its grant commits
    // (authorize/complete.ts), so the walk below, started after, sees that grant.
    if (ctx.kind === 'postgres') await db.selectFrom('sessions').select('id_hash').where('id_hash', '=', idHash).forUpdate().execute();
    const result = await db.updateTable('sessions').set({ revoked_at: at }).where('id_hash', '=', idHash).where('revoked_at', 'is', null).executeTakeFirst();
    // Also when the session was already ended: its grants may still be live (a replaced session).
    const revokedGrants = await revokeTrees(tx, sql`session_id_hash = ${idHash}`, at, reason);
    return { ended: changed(result) > 0, revokedGrants };
  });
}
