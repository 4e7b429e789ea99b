/** RFC 9126 pushed authorization requests, consumed once at /authorize (§4). */
import type { Selectable } from 'kysely';
import type { ParRequestsTable } from '../db-types.ts';
import type { ParRecord } from '../records.ts';
import type { Storage } from '../storage.ts';
import { changed, fromJson, toJson, type RepoContext } from '../context.ts';

function fromRow(row: Selectable<ParRequestsTable>): ParRecord {
  return {
    id: row.id,
    clientId: row.client_id,
    params: fromJson(row.params),
    dpopJkt: row.dpop_jkt,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    consumedAt: row.consumed_at,
  };
}

export function parRepository(ctx: RepoContext): Storage['par'] {
  return {
    async create(r) {
      await ctx.db
        .insertInto('par_requests')
        .values({
          id: r.id,
          client_id: r.clientId,
          params: toJson(r.params),
          dpop_jkt: r.dpopJkt,
          created_at: r.createdAt,
          expires_at: r.expiresAt,
          consumed_at: r.consumedAt,
        })
        .execute();
    },
    /**
     * Compare-and-set: unused, unexpired (expires_at > now) and pushed by `clientId`, or nothing.
     * The client binding is in the same UPDATE so another client cannot burn the request (RFC 9126 §4).
     */
    async consume(id, clientId, now) {
      const row = await ctx.db
        .updateTable('par_requests')
        .set({ consumed_at: now })
        .where('id', '=', id)
        .where('client_id', '=', clientId)
        .where('consumed_at', 'is', null)
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst();
      return row ? fromRow(row) : null;
    },
    /** Expired requests can no longer be consumed; deleting them twice is harmless (idempotent). */
    async purgeExpired(before) {
      return changed(await ctx.db.deleteFrom('par_requests').where('expires_at', '<', before).executeTakeFirst());
    },
  };
}
