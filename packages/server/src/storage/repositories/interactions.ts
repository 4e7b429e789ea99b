/** Pending /authorize requests waiting for login and consent; used once. */
import type { Selectable } from 'kysely';
import type { InteractionsTable } from '../db-types.ts';
import type { InteractionRecord } from '../records.ts';
import type { Storage } from '../storage.ts';
import { changed, fromJson, toJson, type RepoContext } from '../context.ts';

function fromRow(row: Selectable<InteractionsTable>): InteractionRecord {
  return {
    id: row.id,
    clientId: row.client_id,
    params: fromJson(row.params),
    sessionIdHash: row.session_id_hash,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    consumedAt: row.consumed_at,
  };
}

export function interactionsRepository(ctx: RepoContext): Storage['interactions'] {
  return {
    async create(r) {
      await ctx.db
        .insertInto('interactions')
        .values({
          id: r.id,
          client_id: r.clientId,
          params: toJson(r.params),
          session_id_hash: r.sessionIdHash,
          created_at: r.createdAt,
          expires_at: r.expiresAt,
          consumed_at: r.consumedAt,
        })
        .execute();
    },
    async get(id) {
      const row = await ctx.db.selectFrom('interactions').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? fromRow(row) : null;
    },
    /** Only an unused interaction can be bound to a session. */
    async setSession(id, sessionIdHash) {
      const result = await ctx.db
        .updateTable('interactions')
        .set({ session_id_hash: sessionIdHash })
        .where('id', '=', id)
        .where('consumed_at', 'is', null)
        .executeTakeFirst();
      return changed(result) > 0;
    },
    /** Compare-and-set in one statement: the WHERE clause is the whole single-use rule. */
    async consume(id, now) {
      const row = await ctx.db
        .updateTable('interactions')
        .set({ consumed_at: now })
        .where('id', '=', id)
        .where('consumed_at', 'is', null)
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst();
      return row ? fromRow(row) : null;
    },
    /** Expired interactions can no longer be consumed; deleting them twice is harmless (idempotent). */
    async purgeExpired(before) {
      return changed(await ctx.db.deleteFrom('interactions').where('expires_at', '<', before).executeTakeFirst());
    },
  };
}
