/** Browser login sessions, keyed by the SHA-256 of the cookie value (never the value itself). */
import type { Selectable } from 'kysely';
import type { SessionsTable } from '../db-types.ts';
import type { SessionRecord } from '../records.ts';
import type { Storage } from '../storage.ts';
import { sessionHandle } from '../../sessions/session-handle.ts';
import { changed, fromJson, toJson, type RepoContext, type StorageKind } from '../context.ts';
import { affected, execute } from '../statements.ts';
import { expiryCursorParams, nextExpiryCursor } from './expiry-walk.ts';
import { inJsonList } from './live-grants.ts';
import { listSessionsForUser, revokeSessionWithGrants } from './session-revocation.ts';

function fromRow(row: Selectable<SessionsTable>): SessionRecord {
  return {
    idHash: row.id_hash,
    userId: row.user_id,
    authTime: row.auth_time,
    acr: row.acr,
    amr: fromJson(row.amr),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

/**
 * Retention in keyset chunks (storage/maintenance.ts, repositories/expiry-walk.ts): the next
 * `limit` expired sessions after the cursor in (expires_at, id_hash) order, a range scan of
 * sessions_expires_at that reads only expired rows.
 */
export const PAGE = 'select id_hash, expires_at from sessions where expires_at < ? and (expires_at, id_hash) > (?, ?) order by expires_at, id_hash limit ?';
/**
 * The chunk's sessions, by primary key; expiry re-checked in the statement that deletes, as
 * `expires_at + 0` so the planner looks up the chunk's keys rather than range-scanning
 * sessions_expires_at over every expired row.
 */
export function purgeStatement(kind: StorageKind): string {
  return `delete from sessions where ${inJsonList(kind, 'id_hash')} and expires_at + 0 < ?`;
}
const PURGE = { sqlite: purgeStatement('sqlite'), postgres: purgeStatement('postgres') } as const;

export function sessionsRepository(ctx: RepoContext): Storage['sessions'] {
  return {
    async create(r) {
      await ctx.db
        .insertInto('sessions')
        .values({
          id_hash: r.idHash,
          user_id: r.userId,
          auth_time: r.authTime,
          acr: r.acr,
          amr: toJson(r.amr),
          created_at: r.createdAt,
          expires_at: r.expiresAt,
          revoked_at: r.revokedAt,
          // Derived here, not taken from callers: it cannot disagree with id_hash.
          handle: sessionHandle(r.idHash),
        })
        .execute();
    },
    async get(idHash) {
      const row = await ctx.db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
      return row ? fromRow(row) : null;
    },
    /**
     * CO-1: an authorization completing under the session (endpoints/authorize/complete.ts) reads it
     * here before writing its grant; a revocation (session-revocation.ts) locks the row first, so
     * either it committed before (the row reads revoked) or it waits and its walk sees the grant.
     */
    async getForShare(idHash) {
      let q = ctx.db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash);
      if (ctx.kind === 'postgres') q = q.forShare();
      const row = await q.executeTakeFirst();
      return row ? fromRow(row) : null;
    },
    /** One lookup in sessions_user_handle (migration 0014), however many sessions the user has. */
    async getByHandle(userId, handle) {
      const row = await ctx.db.selectFrom('sessions').selectAll().where('user_id', '=', userId).where('handle', '=', handle).executeTakeFirst();
      return row ? fromRow(row) : null;
    },
    /** False when absent or already revoked. */
    async revoke(idHash, at) {
      const result = await ctx.db.updateTable('sessions').set({ revoked_at: at }).where('id_hash', '=', idHash).where('revoked_at', 'is', null).executeTakeFirst();
      return changed(result) > 0;
    },
    async revokeAllForUser(userId, at) {
      const result = await ctx.db.updateTable('sessions').set({ revoked_at: at }).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
      return changed(result);
    },
    listForUser(userId, filter) {
      return listSessionsForUser(ctx, userId, filter, fromRow);
    },
    revokeWithGrants(idHash, at, reason) {
      return revokeSessionWithGrants(ctx, idHash, at, reason);
    },
    /**
     * An expired session is refused by its expiry (interaction/session.ts) exactly as an absent one,
     * and nothing else reads the row; revocation does not matter (a revoked unexpired session is
     * refused by its revoked_at and stays until it expires). Reads and deletes at most `limit` rows.
     */
    async purgeExpired(before, limit, after = null) {
      const [afterExpiresAt, afterIdHash] = expiryCursorParams(after);
      const page = (await execute<{ id_hash: string; expires_at: number | string }>(ctx, PAGE, [before, afterExpiresAt, afterIdHash, limit])).rows;
      const next = nextExpiryCursor(page, limit, (r) => r.id_hash);
      if (page.length === 0) return { deleted: 0, next };
      const deleted = await affected(ctx, PURGE[ctx.kind], [JSON.stringify(page.map((r) => r.id_hash)), before]);
      return { deleted, next };
    },
  };
}
