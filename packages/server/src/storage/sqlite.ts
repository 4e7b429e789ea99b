/** The embedded default: one better-sqlite3 database in WAL mode. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, type DatabaseIntrospector, type Dialect, type Driver, type Kysely } from 'kysely';
import { BatchingSqliteDriver } from './sqlite-driver.ts';

/** Kysely's SQLite dialect with the group-committing driver of sqlite-driver.ts (one Kysely per dialect). */
export class MandateSqliteDialect implements Dialect {
  /** Also reached without Kysely, for hand-written statements (sqlite-direct.ts). */
  readonly driver: BatchingSqliteDriver;
  constructor(db: BetterSqlite3.Database) {
    this.driver = new BatchingSqliteDriver(db);
  }
  createDriver(): Driver {
    return this.driver;
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

export function sqliteDialect(path: string): MandateSqliteDialect {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new BetterSqlite3(path);
  // A new database gets 2 KiB pages (SQLite's default is 4 KiB; an existing file keeps its own).
  // Every commit copies each page it changed to the WAL, and a token issuance changes one leaf of
  // each of its ~15 tables and indexes while adding a few hundred bytes: half-size pages halve the
  // bytes written and checksummed per commit. Measured on the token exchange (bench/token-exchange.ts,
  // three interleaved pairs on the same tree): 1,876 → 2,053 exchanges/s mean, CPU per exchange −5%.
  db.pragma('page_size = 2048');
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a commit survives a process crash; only an OS crash may lose the last commits.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // Short on purpose: this wait blocks the event loop. Writers keep waiting asynchronously
  // (sqlite-driver.ts WRITE_LOCK_WAIT_MS); readers in WAL mode are almost never blocked.
  db.pragma('busy_timeout = 20');
  // Checkpoint every 10,000 pages of WAL (~20 MB at 2 KiB) instead of SQLite's 1,000: a
  // checkpoint runs inside a commit, on the event loop, and copies each changed page once however
  // often it was rewritten, so ten times fewer checkpoints copy far fewer pages (token issuance
  // keeps rewriting the same index and audit pages). Measured on the token exchange's writes: ~8%
  // less storage CPU per exchange. 20,000 (the same bytes as before 2 KiB pages) measured no better.
  db.pragma('wal_autocheckpoint = 10000');
  return new MandateSqliteDialect(db);
}
