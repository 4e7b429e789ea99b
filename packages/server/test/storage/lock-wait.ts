/**
 * Race tests on PostgreSQL steer one transaction into a row lock another holds, then go on.
 * A fixed pause ("by now it is blocked") is a guess: on a slow runner the other transaction
 * may not have reached its lock yet, and the test passes without the race it is about (or
 * flakes). waitForLockWaiters polls instead until PostgreSQL shows the transactions blocked.
 *
 * Every test has its own schema in the shared database `test` (helpers/isolated-database.ts),
 * and files run in parallel workers: a waiter counts only if it holds a lock on a relation of
 * this test's schema (a transaction of this test has read or locked one of its tables by the
 * time it waits on a row), so other tests' waiters never satisfy the wait.
 */
import pg from 'pg';
import { parsePostgresUrl } from '../../src/storage/postgres.ts';
import type { Storage } from '../../src/storage/storage.ts';
import type { StorageHandle } from './fixtures.ts';

const WAITERS = `
  select count(distinct w.pid)::int as n
    from pg_locks w
   where not w.granted
     and w.pid <> pg_backend_pid()
     and exists (
       select 1
         from pg_locks l
         join pg_class c on c.oid = l.relation
         join pg_namespace s on s.oid = c.relnamespace
        where l.pid = w.pid
          and l.database = (select oid from pg_database where datname = current_database())
          and s.nspname = $1)`;

/**
 * Resolves once at least `count` backends of this test's schema wait on a lock (polled every
 * 10 ms on a connection of its own); fails after `timeoutMs` with what it last saw.
 */
export async function waitForLockWaiters(h: StorageHandle, count = 1, timeoutMs = 5_000): Promise<void> {
  const { connectionString, schema } = parsePostgresUrl(h.url);
  if (schema === null) throw new Error('waitForLockWaiters: the test database URL names no schema');
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = (await client.query<{ n: number }>(WAITERS, [schema])).rows[0]!.n;
      if (seen >= count) return;
      if (Date.now() > deadline) {
        throw new Error(`waitForLockWaiters: expected ${count} transaction(s) of schema ${schema} blocked on a lock within ${timeoutMs} ms, saw ${seen}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Opens a transaction that runs `hold`, then stays open until `release()` and runs `after`;
 * `ready` resolves once `hold` returned (its locks are held), `done` when the transaction ended.
 */
export function holdTransaction(h: StorageHandle, hold: (tx: Storage) => Promise<void>, after: (tx: Storage) => Promise<void> = async () => undefined) {
  let held = (): void => undefined;
  const ready = new Promise<void>((resolve) => (held = resolve));
  let release = (): void => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  const done = h.storage.transaction(async (tx) => {
    await hold(tx);
    held();
    await released;
    await after(tx);
  });
  done.catch(() => undefined); // awaited by the test
  return { ready, release, done };
}
