/**
 * Opens the configured database: `postgres://` / `postgresql://` URLs select PostgreSQL
 * (`?schema=name` confines it to one schema, created when missing); anything else is a SQLite
 * file path (its directory is created) or `:memory:`.
 */
import { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from './db-types.ts';
import type { Storage } from './storage.ts';
import { createKyselyStorage } from './kysely-storage.ts';
import { postgresDialect } from './postgres.ts';
import { sqliteDialect } from './sqlite.ts';
import { sqliteDirectConnection } from './sqlite-direct.ts';

export function isPostgresUrl(databaseUrl: string): boolean {
  return /^postgres(ql)?:\/\//i.test(databaseUrl);
}

/** FNV-1a, folded to a signed 32-bit int: the per-schema half of the audit advisory lock key. */
function schemaLockKey(schema: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < schema.length; i++) {
    h ^= schema.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

export async function openStorage(databaseUrl: string, options: { logger?: Logger } = {}): Promise<Storage> {
  if (isPostgresUrl(databaseUrl)) {
    const { dialect, schema } = await postgresDialect(databaseUrl, options.logger);
    const db = new Kysely<Database>({ dialect });
    return createKyselyStorage({ db, kind: 'postgres', migrationSchema: schema, auditLockKey: schemaLockKey(schema) });
  }
  const dialect = sqliteDialect(databaseUrl);
  const db = new Kysely<Database>({ dialect });
  return createKyselyStorage({ db, kind: 'sqlite', direct: sqliteDirectConnection(dialect.driver) });
}
