/**
 * Tamper evidence for the audit log (AU-1): every row carries the hash of the previous row,
 * and its own hash covers that link plus its content. Changing, inserting or deleting any row
 * breaks every hash after it; `npm run audit:verify` walks the chain.
 */
import { createHash } from 'node:crypto';
import type { AuditEventRecord } from '../storage/records.ts';

export const GENESIS_HASH = '0'.repeat(64);

type HashedFields = Omit<AuditEventRecord, 'hash' | 'seq'>;

/** Field order is fixed so the hash is independent of object key order and of the backend. */
export function canonicalAuditJson(row: HashedFields): string {
  return JSON.stringify([
    row.id,
    row.time,
    row.event,
    row.userId,
    row.clientId,
    row.agentId,
    row.requestedScope,
    row.grantedScope,
    row.resource,
    row.ip,
    row.result,
    row.reason,
    row.data === null ? null : sortKeys(row.data),
    row.prevHash,
  ]);
}

export function auditRowHash(row: HashedFields): string {
  return createHash('sha256').update(canonicalAuditJson(row)).digest('hex');
}

/**
 * A copy whose keys were inserted in sorted order (JSON.stringify then follows insertion order,
 * integer-like keys first as for every object). Every append hashes one, so no intermediate
 * arrays; a null-prototype object keeps a `__proto__` key an own property, as JSON.parse made it.
 */
function sortKeys(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(sortKeys);
  const source = value as Record<string, unknown>;
  const sorted: Record<string, unknown> = Object.create(null);
  for (const k of Object.keys(source).sort()) sorted[k] = sortKeys(source[k]);
  return sorted;
}

export interface ChainBreak {
  seq: number;
  reason: 'prev_hash_mismatch' | 'hash_mismatch';
}

/** Verifies rows in seq order, continuing from `prevHash`. Returns the first break, if any. */
export function verifyAuditRows(rows: AuditEventRecord[], prevHash = GENESIS_HASH): { lastHash: string; broken: ChainBreak | null } {
  let expectedPrev = prevHash;
  for (const row of rows) {
    if (row.prevHash !== expectedPrev) return { lastHash: expectedPrev, broken: { seq: row.seq, reason: 'prev_hash_mismatch' } };
    if (auditRowHash(row) !== row.hash) return { lastHash: expectedPrev, broken: { seq: row.seq, reason: 'hash_mismatch' } };
    expectedPrev = row.hash;
  }
  return { lastHash: expectedPrev, broken: null };
}
