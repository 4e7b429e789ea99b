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
  return canonicalJson(row, row.data === null ? null : sortKeys(row.data));
}

export function auditRowHash(row: HashedFields): string {
  return sha256Hex(canonicalAuditJson(row));
}

/**
 * The same hash for a row whose data is already in canonical form (from `sortedJsonCopy`): the
 * append path builds that copy once instead of sorting a second one to hash.
 */
export function auditRowHashOfSortedData(row: HashedFields): string {
  return sha256Hex(canonicalJson(row, row.data));
}

function canonicalJson(row: HashedFields, sortedData: unknown): string {
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
    sortedData,
    row.prevHash,
  ]);
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
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

/**
 * What `sortKeys(JSON.parse(JSON.stringify(value)))` returns, in one walk and without the text
 * round trip, when `value` is plain JSON data: plain objects and arrays of strings, finite
 * numbers other than -0, booleans and null (an object member may be undefined: JSON drops it, so does this).
 * Anything whose JSON form differs from itself (toJSON, class instances, NaN, an undefined array
 * element...) gives undefined, and the caller takes the round trip. Keys are sorted as sortKeys
 * sorts them; the copies are ordinary objects, as JSON.parse makes, with `__proto__` an own key.
 */
export function sortedJsonCopy(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0) ? value : undefined; // JSON makes -0 a 0
    case 'object':
      break;
    default:
      return undefined;
  }
  if (value === null) return null;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (Array.isArray(value)) {
    if (proto !== Array.prototype) return undefined;
    const copy: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = sortedJsonCopy(value[i]);
      if (item === undefined) return undefined;
      copy[i] = item;
    }
    return copy;
  }
  if (proto !== Object.prototype && proto !== null) return undefined;
  const source = value as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  for (const k of Object.keys(source).sort()) {
    const member = source[k];
    if (member === undefined) continue;
    const item = sortedJsonCopy(member);
    if (item === undefined) return undefined;
    if (k === '__proto__') Object.defineProperty(copy, k, { value: item, enumerable: true, configurable: true, writable: true });
    else copy[k] = item;
  }
  return copy;
}

/**
 * A string field of an audit event's data, or null: the indexed copies (`jti`, `id_token_jti`) the
 * append writes beside the hashed data and the custody walk reads back agree because both use this.
 */
export function dataString(data: Record<string, unknown> | null, name: string): string | null {
  const value = data?.[name];
  return typeof value === 'string' ? value : null;
}
