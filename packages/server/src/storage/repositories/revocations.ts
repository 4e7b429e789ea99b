/**
 * The revocation feed (CO-1): one row per revoked access token (by jti) or grant, appended in
 * the same transaction as the revocation itself, read by resource servers through the signed
 * feed (revocation/feed.ts). Rows carry their own expiry: once every token they concern has
 * expired, nobody needs to remember them.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database, RevocationEventsTable } from '../db-types.ts';
import type { RevocationEventRecord } from '../records.ts';
import type { Storage } from '../storage.ts';
import { changed, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, withTransaction, type RepoContext } from '../context.ts';
import { execute } from '../statements.ts';
import { AUDIT_LOCK_CLASS } from './audit-append.ts';

export type RevocationEventInput = Omit<RevocationEventRecord, 'seq'>;

/**
 * How long after its exp a revoked token stays on the feed, and in the table: covers the exp
 * leeway resource servers allow (the MCP SDK's `leewaySeconds`, 30 s by default) and their clock
 * skew, with margin. Maintenance keeps rows at least this long whatever its grace (maintenance.ts).
 */
export const REVOCATION_EXPIRY_LEEWAY = 300;

function fromRow(row: Selectable<RevocationEventsTable>): RevocationEventRecord {
  return { seq: row.seq, jti: row.jti, grantId: row.grant_id, expiresAt: row.expires_at, revokedAt: row.revoked_at, reason: row.reason };
}

/** Rows per INSERT: 5 parameters each, far below either backend's limit. */
const CHUNK = 500;

/**
 * Appends events inside the caller's transaction (`db` must be one). On PostgreSQL the append
 * takes the audit advisory lock (the same key, so one lock order and no deadlock with audit
 * appends in the same transaction) and keeps it until commit: identity values are then handed
 * out in commit order, and a reader that saw seq n never later finds a smaller seq appear.
 * SQLite has one writer at a time, so AUTOINCREMENT already follows commit order.
 */
export async function appendRevocationEvents(ctx: RepoContext, db: Kysely<Database>, events: RevocationEventInput[]): Promise<void> {
  if (events.length === 0) return;
  if (ctx.kind === 'postgres') {
    await execute({ ...ctx, db, inTransaction: true }, 'select pg_advisory_xact_lock(?::int4, ?::int4)', [AUDIT_LOCK_CLASS, ctx.shared.auditLockKey]);
  }
  for (let i = 0; i < events.length; i += CHUNK) {
    const rows = events.slice(i, i + CHUNK).map((e) => ({ jti: e.jti, grant_id: e.grantId, expires_at: e.expiresAt, revoked_at: e.revokedAt, reason: e.reason }));
    await db.insertInto('revocation_events').values(rows).execute();
  }
}

export function revocationsRepository(ctx: RepoContext): Storage['revocations'] {
  return {
    append(events) {
      return withTransaction(ctx, (db) => appendRevocationEvents(ctx, db, events));
    },
    /**
     * Ascending seq after `afterSeq`; with `now`, events whose expiry has passed are left out
     * (their tokens are dead anyway). At most `limit` rows (default 1000, capped at 10 000).
     */
    async list(filter) {
      const limit = Math.min(Math.max(Math.trunc(filter.limit ?? DEFAULT_PAGE_LIMIT), 1), MAX_PAGE_LIMIT);
      let q = ctx.db.selectFrom('revocation_events').selectAll();
      if (filter.afterSeq !== undefined) q = q.where('seq', '>', filter.afterSeq);
      if (filter.expiresAfter !== undefined) q = q.where('expires_at', '>', filter.expiresAfter);
      const rows = await q.orderBy('seq').limit(limit).execute();
      return rows.map(fromRow);
    },
    /** Readers page by seq, so gaps left by deleted rows are harmless; identities are never reused. */
    async purgeExpired(before) {
      return changed(await ctx.db.deleteFrom('revocation_events').where('expires_at', '<', before).executeTakeFirst());
    },
  };
}
