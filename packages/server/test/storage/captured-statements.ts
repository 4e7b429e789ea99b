/**
 * Plans of the statements the storage really sends: a second storage over a test's database
 * whose Kysely reports every compiled statement, and EXPLAIN of one with its parameters inlined
 * (no prepared statement, so PostgreSQL plans for the actual values).
 */
import { Kysely, type CompiledQuery } from 'kysely';
import type { Database } from '../../src/storage/db-types.ts';
import { createKyselyStorage } from '../../src/storage/kysely-storage.ts';
import { postgresDialect } from '../../src/storage/postgres.ts';
import { sqliteDialect } from '../../src/storage/sqlite.ts';
import type { Storage } from '../../src/storage/storage.ts';
import type { Backend } from '../helpers/isolated-database.ts';
import type { StorageHandle } from './fixtures.ts';

/** A storage over `url` that appends every statement its Kysely sends to `sent`. Close it after use. */
export async function capturingStorage(backend: Backend, url: string, sent: CompiledQuery[]): Promise<Storage> {
  const log = (event: { query: CompiledQuery }) => void sent.push(event.query);
  if (backend === 'sqlite') return createKyselyStorage({ db: new Kysely<Database>({ dialect: sqliteDialect(url), log }), kind: 'sqlite' });
  const { dialect, schema } = await postgresDialect(url);
  return createKyselyStorage({ db: new Kysely<Database>({ dialect, log }), kind: 'postgres', migrationSchema: schema, auditLockKey: 1 });
}

function withLiterals(query: CompiledQuery): string {
  const literal = (v: unknown) => (typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`);
  let next = 0;
  return query.sql.replace(/\$(\d+)|\?/g, (_m, n: string | undefined) => literal(query.parameters[n === undefined ? next++ : Number(n) - 1]));
}

/** EXPLAIN QUERY PLAN (SQLite) or EXPLAIN (PostgreSQL) of the statement, one line per plan row. */
export async function planOf(h: StorageHandle, backend: Backend, query: CompiledQuery): Promise<string> {
  const rows = await h.raw(`${backend === 'sqlite' ? 'explain query plan' : 'explain'} ${withLiterals(query)}`);
  return rows.map((r) => String(r['detail'] ?? r['QUERY PLAN'])).join('\n');
}
