/** Browser login sessions, keyed by the SHA-256 of the cookie value (never the value itself). */
import type { Selectable } from 'kysely';
import type { SessionsTable } from '../db-types.ts';
import type { SessionRecord } from '../records.ts';
import type { Storage } from '../storage.ts';
import { changed, fromJson, toJson, type RepoContext } from '../context.ts';
import { affected } from '../statements.ts';

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
        })
        .execute();
    },
    async get(idHash) {
      const row = await ctx.db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
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
    /**
     * An expired session is refused by its expiry (interaction/session.ts) exactly as an absent one,
     * and nothing else reads the row. Bounded by `limit`.
     */
    async purgeExpired(before, limit) {
      return affected(ctx, 'delete from sessions where id_hash in (select id_hash from sessions where expires_at < ? limit ?)', [before, limit]);
    },
  };
}
