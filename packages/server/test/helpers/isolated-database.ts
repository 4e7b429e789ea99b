/**
 * One database per test: a fresh SQLite file, or a fresh PostgreSQL schema. Kept apart from
 * test-server.ts (which re-exports it) so storage tests do not load the whole server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export type Backend = 'sqlite' | 'postgres';

/** PostgreSQL for tests: 127.0.0.1:5432, database `test`, trust auth (see docs). */
export const TEST_PG_URL = process.env.MANDATE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Drops a test schema so runs do not pile schemas up in the shared database. Best effort: a
 * failure here must not fail the test that already passed.
 */
async function dropTestSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  try {
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade`);
  } catch {
    // Left behind; the next run uses new names anyway.
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * A database URL no other test shares. `cleanup` (call it after closing the storage) removes
 * the SQLite directory at once; for PostgreSQL it drops the schema, and returns when done.
 */
export function isolatedDatabaseUrl(backend: Backend): { url: string; cleanup: () => Promise<void> } {
  if (backend === 'postgres') {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    return { url: `${TEST_PG_URL}?schema=${schema}`, cleanup: () => dropTestSchema(schema) };
  }
  const dir = mkdtempSync(join(tmpdir(), 'mandate-test-'));
  return {
    url: join(dir, 'mandate.sqlite'),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}
