/** The append-only, hash-chained audit log (AU-1); audit/chain.ts defines the hash. */
import type { Selectable } from 'kysely';
import type { AuditEventsTable } from '../db-types.ts';
import type { AuditEventRecord } from '../records.ts';
import type { Storage } from '../storage.ts';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, fromJsonOrNull, type RepoContext } from '../context.ts';
import { appendAuditEvent } from './audit-append.ts';

/** Rows read per jti lookup: normally one; more only if a jti column was altered. */
const ISSUANCE_CANDIDATES = 8;

function fromRow(row: Selectable<AuditEventsTable>): AuditEventRecord {
  return {
    seq: row.seq,
    id: row.id,
    time: row.time,
    event: row.event,
    userId: row.user_id,
    clientId: row.client_id,
    agentId: row.agent_id,
    requestedScope: row.requested_scope,
    grantedScope: row.granted_scope,
    resource: row.resource,
    ip: row.ip,
    result: row.result as AuditEventRecord['result'],
    reason: row.reason,
    data: fromJsonOrNull(row.data),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/**
 * The oldest event among `events` whose unhashed `column` copy (0009 `jti`, 0017 `id_token_jti`)
 * is `jti`, through its (column, seq) partial index. Only a row whose hashed data says the same
 * counts: a row whose copy was altered is skipped, not taken for the answer (a few candidates are
 * read; a jti is issued once).
 */
async function oldestNaming(ctx: RepoContext, column: 'jti' | 'id_token_jti', jti: string, events: readonly string[]): Promise<AuditEventRecord | null> {
  if (events.length === 0) return null;
  const rows = await ctx.db.selectFrom('audit_events').selectAll().where(column, '=', jti).where('event', 'in', events).orderBy('seq').limit(ISSUANCE_CANDIDATES).execute();
  return rows.map(fromRow).find((r) => r.data?.[column] === jti) ?? null;
}

export function auditRepository(ctx: RepoContext): Storage['audit'] {
  return {
    /** Serialised per backend; see audit-append.ts. */
    append(event, time) {
      return appendAuditEvent(ctx, event, time);
    },
    /** Ascending seq; at most `limit` rows (default 1000, capped at 10 000). */
    async list(filter) {
      const limit = Math.min(Math.max(Math.trunc(filter.limit ?? DEFAULT_PAGE_LIMIT), 1), MAX_PAGE_LIMIT);
      let q = ctx.db.selectFrom('audit_events').selectAll();
      if (filter.afterSeq !== undefined) q = q.where('seq', '>', filter.afterSeq);
      if (filter.userId !== undefined) q = q.where('user_id', '=', filter.userId);
      if (filter.clientId !== undefined) q = q.where('client_id', '=', filter.clientId);
      if (filter.event !== undefined) q = q.where('event', '=', filter.event);
      const rows = await q.orderBy('seq').limit(limit).execute();
      return rows.map(fromRow);
    },
    /** Index audit_events_jti (jti, seq): data.jti. */
    findIssuance(jti, events) {
      return oldestNaming(ctx, 'jti', jti, events);
    },
    /** Index audit_events_id_token_jti (id_token_jti, seq): data.id_token_jti. */
    findIdTokenIssuance(jti, events) {
      return oldestNaming(ctx, 'id_token_jti', jti, events);
    },
    /** Index audit_events_id. */
    async findById(id) {
      const row = await ctx.db.selectFrom('audit_events').selectAll().where('id', '=', id).orderBy('seq').limit(1).executeTakeFirst();
      return row ? fromRow(row) : null;
    },
  };
}
