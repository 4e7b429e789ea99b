/** The embedded default: one better-sqlite3 database in WAL mode. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, type DatabaseIntrospector, type Dialect, type Driver, type Kysely } from 'kysely';
import { BatchingSqliteDriver } from './sqlite-driver.ts';

/** Kysely's SQLite dialect with the group-committing driver of sqlite-driver.ts. */
class MandateSqliteDialect implements Dialect {
  constructor(private readonly db: BetterSqlite3.Database) {}
  createDriver(): Driver {
    return new BatchingSqliteDriver(this.db);
  }
  createQueryCompiler(): SqliteQueryCompiler {
    return new SqliteQueryCompiler();
  }
  createAdapter(): SqliteAdapter {
    return new SqliteAdapter();
  }
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

export function sqliteDialect(path: string): Dialect {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a commit survives a process crash; only an OS crash may lose the last commits.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // Short on purpose: this wait blocks the event loop. Writers keep waiting asynchronously
  // (sqlite-driver.ts WRITE_LOCK_WAIT_MS); readers in WAL mode are almost never blocked.
  db.pragma('busy_timeout = 20');
  return new MandateSqliteDialect(db);
}
