/**
 * Appending to the audit hash chain (AU-1). Two writers must never chain from the same head,
 * or the log forks and verification fails; each backend serialises appends its own way:
 *
 * - PostgreSQL (several instances may share a schema): a transaction takes
 *   pg_advisory_xact_lock (one key per schema), reads the head, inserts after it.
 * - SQLite (one writer per file): reading the head, hashing and inserting run as one
 *   synchronous section on the connection (sqlite-driver.ts), inside a BEGIN IMMEDIATE batch or
 *   transaction. Nothing in this process can interleave, and the write lock shuts out other
 *   processes, so no in-memory head and no extra transaction are needed.
 *
 * seq is head.seq + 1, assigned under that serialisation, so it has no gaps.
 */
import type { AuditEventInput, AuditEventRecord } from '../records.ts';
import { auditRowHash, auditRowHashOfSortedData, dataString, GENESIS_HASH, sortedJsonCopy } from '../../audit/chain.ts';
import { sortableId } from '../../crypto/sortable-ids.ts';
import { fromJsonOrNull, toJsonOrNull, withTransaction, type RepoContext } from '../context.ts';
import { execute, first } from '../statements.ts';
import { runSynchronously } from '../sqlite-sync.ts';

/** First half of the two-key PostgreSQL advisory lock ('MNDT'); the second half is per schema. */
export const AUDIT_LOCK_CLASS = 0x4d4e4454;

type Head = { seq: number; hash: string };

// `jti` (migration 0009) and `id_token_jti` (0017) are unhashed, indexed copies of a string
// data.jti / data.id_token_jti, for the custody query.
const COLUMNS =
  'seq, id, time, event, user_id, client_id, agent_id, requested_scope, granted_scope, resource, ip, result, reason, data, prev_hash, hash, jti, id_token_jti';
const PLACEHOLDERS = COLUMNS.split(', ').map(() => '?').join(', ');
const HEAD = 'select seq, hash from audit_events order by seq desc limit 1';
const INSERT = `insert into audit_events (${COLUMNS}) values (${PLACEHOLDERS})`;

/** The data column's text, and its canonical form when sortedJsonCopy could make it. */
type Data = { text: string | null; sorted: unknown };

function buildRecord(event: AuditEventInput, time: number, { text: data, sorted }: Data, head: Head | undefined): AuditEventRecord {
  const unhashed = {
    id: sortableId('aud'), // crypto/sortable-ids.ts: appends to the audit_events_id index
    time,
    event: event.event,
    userId: event.userId ?? null,
    clientId: event.clientId ?? null,
    agentId: event.agentId ?? null,
    requestedScope: event.requestedScope ?? null,
    grantedScope: event.grantedScope ?? null,
    resource: event.resource ?? null,
    ip: event.ip ?? null,
    result: event.result,
    reason: event.reason ?? null,
    data: sorted !== undefined ? (sorted as Record<string, unknown>) : fromJsonOrNull<Record<string, unknown>>(data),
    prevHash: head?.hash ?? GENESIS_HASH,
  };
  const hash = sorted !== undefined ? auditRowHashOfSortedData(unhashed) : auditRowHash(unhashed);
  return { seq: (head?.seq ?? 0) + 1, ...unhashed, hash };
}

function values(r: AuditEventRecord, data: string | null): unknown[] {
  return [r.seq, r.id, r.time, r.event, r.userId, r.clientId, r.agentId, r.requestedScope, r.grantedScope, r.resource, r.ip, r.result, r.reason, data, r.prevHash, r.hash, dataString(r.data, 'jti'), dataString(r.data, 'id_token_jti')];
}

function appendPostgres(ctx: RepoContext, event: AuditEventInput, time: number, data: Data): Promise<AuditEventRecord> {
  return withTransaction(ctx, async (db) => {
    const tx = { ...ctx, db, inTransaction: true };
    // Separate statements: under READ COMMITTED a statement's snapshot is taken when it starts,
    // so the head must be read by a statement that starts after the lock is held.
    await execute(tx, 'select pg_advisory_xact_lock(?::int4, ?::int4)', [AUDIT_LOCK_CLASS, ctx.shared.auditLockKey]);
    const record = buildRecord(event, time, data, await first<Head>(tx, HEAD, []));
    await execute(tx, INSERT, values(record, data.text));
    return record;
  });
}

function appendSqlite(ctx: RepoContext, event: AuditEventInput, time: number, data: Data): Promise<AuditEventRecord> {
  return runSynchronously(ctx, (conn) => {
    const record = buildRecord(event, time, data, conn.get<Head>(HEAD, []));
    conn.run(INSERT, values(record, data.text));
    return record;
  });
}

export function appendAuditEvent(ctx: RepoContext, event: AuditEventInput, time: number): Promise<AuditEventRecord> {
  // Hash exactly what a reader will get back: the JSON round trip drops undefined and turns
  // Dates and the like into their JSON form before the hash is computed.
  // For plain data, one sorted copy of event.data is that, without parsing the text back; it is
  // taken now, with the text, so a caller changing event.data later cannot make them differ.
  const text = toJsonOrNull(event.data);
  const data: Data = { text, sorted: text === null ? undefined : sortedJsonCopy(event.data) };
  return ctx.kind === 'postgres' ? appendPostgres(ctx, event, time, data) : appendSqlite(ctx, event, time, data);
}
