/**
 * Hand-written statements (statements.ts) and synchronous sections (sqlite-sync.ts) straight to
 * the SQLite driver. Through Kysely each statement also acquires and releases a connection and
 * chains several promises; on the token endpoint's hot path that cost more than the statements.
 * The driver's rules are unchanged: these calls take exactly the path Kysely's would.
 */
import type { Kysely } from 'kysely';
import type { Database } from './db-types.ts';
import type { DirectConnection, DirectExecutor } from './context.ts';
import { Handle, type BatchingSqliteDriver } from './sqlite-driver.ts';

export function sqliteDirectConnection(driver: BatchingSqliteDriver): DirectConnection {
  return {
    forRoot(db: Kysely<Database>): DirectExecutor {
      // A handle that never begins a transaction: its statements run as Kysely's outside one would.
      const handle = new Handle(driver);
      return { db, execute: (sql, parameters) => driver.execute(handle, { sql, parameters }) };
    },
    forTransaction(db: Kysely<Database>): DirectExecutor {
      const handle = driver.owner;
      if (handle === null) throw new Error('no SQLite transaction holds the connection');
      return {
        db,
        // As Kysely's own transaction executor: once committed or rolled back, it refuses to run.
        execute: (sql, parameters) =>
          driver.owner === handle ? driver.execute(handle, { sql, parameters }) : Promise.reject(new Error('Transaction is already committed or rolled back')),
      };
    },
  };
}
