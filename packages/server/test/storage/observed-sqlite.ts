/**
 * Set-up of the SQLite driver tests (sqlite-driver.test.ts, sqlite-direct.test.ts): a migrated
 * storage on its own database file, and a second, read-only connection that sees only what has
 * been committed — the way to tell a settled write from one still inside a transaction.
 */
import { afterEach, beforeEach } from 'vitest';
import Database from 'better-sqlite3';
import { openStorage } from '../../src/storage/open.ts';
import type { Storage } from '../../src/storage/storage.ts';
import { isolatedDatabaseUrl } from '../helpers/isolated-database.ts';

export interface ObservedSqlite {
  url: string;
  storage: Storage;
  observer: Database.Database;
  /** Whether the access token `jti` is committed, as the observer connection sees it. */
  committed: (jti: string) => boolean;
}

/** Registers beforeEach/afterEach: a fresh database per test, handed to `ready`, closed and removed after it. */
export function useObservedSqlite(ready: (db: ObservedSqlite) => void): void {
  let db: ObservedSqlite | undefined;
  let cleanup: () => Promise<void> = async () => {};
  beforeEach(async () => {
    const isolated = isolatedDatabaseUrl('sqlite');
    cleanup = isolated.cleanup;
    const storage = await openStorage(isolated.url);
    await storage.migrate();
    const observer = new Database(isolated.url, { readonly: true });
    db = { url: isolated.url, storage, observer, committed: (jti) => observer.prepare('select jti from access_tokens where jti = ?').get(jti) !== undefined };
    ready(db);
  });
  afterEach(async () => {
    db?.observer.close();
    await db?.storage.close();
    await cleanup();
  });
}
