/** Remembered consent per user + client (scopes, resources, RAR details). */
import type { Selectable } from 'kysely';
import type { ConsentsTable } from '../db-types.ts';
import type { ConsentRecord } from '../records.ts';
import type { Storage } from '../storage.ts';
import { changed, fromJson, fromJsonOrNull, toJson, toJsonOrNull, type RepoContext } from '../context.ts';

function fromRow(row: Selectable<ConsentsTable>): ConsentRecord {
  return {
    id: row.id,
    userId: row.user_id,
    clientId: row.client_id,
    scope: row.scope,
    resources: fromJson(row.resources),
    authorizationDetails: fromJsonOrNull(row.authorization_details),
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

export function consentsRepository(ctx: RepoContext): Storage['consents'] {
  return {
    /** Newest first; revoked consents only when asked for. */
    async listForUser(userId, filter) {
      let q = ctx.db.selectFrom('consents').selectAll().where('user_id', '=', userId);
      if (filter?.clientId !== undefined) q = q.where('client_id', '=', filter.clientId);
      if (!filter?.includeRevoked) q = q.where('revoked_at', 'is', null);
      const rows = await q.orderBy('created_at', 'desc').orderBy('id').execute();
      return rows.map(fromRow);
    },
    async get(id) {
      const row = await ctx.db.selectFrom('consents').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? fromRow(row) : null;
    },
    async create(r) {
      await ctx.db
        .insertInto('consents')
        .values({
          id: r.id,
          user_id: r.userId,
          client_id: r.clientId,
          scope: r.scope,
          resources: toJson(r.resources),
          authorization_details: toJsonOrNull(r.authorizationDetails),
          created_at: r.createdAt,
          revoked_at: r.revokedAt,
        })
        .execute();
    },
    /**
     * Grant creation re-reads its consent in its transaction (endpoints/authorize/complete.ts): on
     * PostgreSQL `for share`, so a revocation's update waits for that commit, and the
     * revokeByConsent that follows it sees the new grant; or the read returns the revoked row.
     */
    async getForShare(id) {
      let q = ctx.db.selectFrom('consents').selectAll().where('id', '=', id);
      if (ctx.kind === 'postgres') q = q.forShare();
      const row = await q.executeTakeFirst();
      return row ? fromRow(row) : null;
    },
    /** Marks the consent revoked (false when absent or already revoked); grants.revokeByConsent revokes what rests on it. */
    async revoke(id, at) {
      const result = await ctx.db.updateTable('consents').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
      return changed(result) > 0;
    },
  };
}
