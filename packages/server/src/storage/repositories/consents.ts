/** Remembered consent per user + client (scopes, resources, RAR details), and its revocation (CO-1). */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { ConsentsTable, Database } from '../db-types.ts';
import type { ConsentRecord } from '../records.ts';
import type { Storage } from '../storage.ts';
import { revokeTrees } from './tree-revocation.ts';
import { changed, fromJson, fromJsonOrNull, toJson, toJsonOrNull, withTransaction, type RepoContext } from '../context.ts';

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

/** False when the consent is absent or already revoked (its first revocation time stands). */
async function markRevoked(db: Kysely<Database>, id: string, at: number): Promise<boolean> {
  const result = await db.updateTable('consents').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  return changed(result) > 0;
}

/**
 * The consent first, then the walk (revokeTrees), in one transaction. An issuance on the consent
 * (authorize/complete.ts, token exchange's subject-consent.ts) re-reads it with getForShare in its
 * own transaction before writing its grant: on PostgreSQL the update here waits for that commit and
 * the walk, started after, sees the grant; or the issuer reads the consent revoked and writes
 * nothing. The other order would miss a grant committed between walk and update, and take the
 * two locks opposite to the issuer's. SQLite serialises whole transactions.
 */
function revokeConsentWithGrants(ctx: RepoContext, id: string, at: number, reason: string): Promise<{ revoked: boolean; revokedGrants: string[] }> {
  return withTransaction(ctx, async (db) => {
    const revoked = await markRevoked(db, id, at);
    // Also when the consent was already revoked: a grant that raced an earlier revocation is caught.
    const revokedGrants = await revokeTrees({ ...ctx, db, inTransaction: true }, sql`consent_id = ${id}`, at, reason);
    return { revoked, revokedGrants };
  });
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
     * walk that follows it (revokeWithGrants) sees the new grant; or the read returns the revoked row.
     */
    async getForShare(id) {
      let q = ctx.db.selectFrom('consents').selectAll().where('id', '=', id);
      if (ctx.kind === 'postgres') q = q.forShare();
      const row = await q.executeTakeFirst();
      return row ? fromRow(row) : null;
    },
    revoke(id, at) {
      return markRevoked(ctx.db, id, at);
    },
    revokeWithGrants(id, at, reason) {
      return revokeConsentWithGrants(ctx, id, at, reason);
    },
  };
}
