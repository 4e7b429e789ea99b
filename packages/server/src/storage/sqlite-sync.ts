/**
 * Synchronous sections on the SQLite connection: several prepared statements with JS between
 * them and nothing else interleaved, run inside the caller's transaction or the current write
 * batch (sqlite-driver.ts). The audit append reads the chain head, hashes and inserts this way.
 * A section is not rolled back on its own if it throws half-way: keep writes to one statement
 * or run the section inside `transaction()`.
 */
import type { RepoContext } from './context.ts';
import { execute } from './statements.ts';

/** Prepared-statement access given to a synchronous section. */
export interface SyncConnection {
  get<T>(sql: string, params: readonly unknown[]): T | undefined;
  run(sql: string, params: readonly unknown[]): number;
}

/** Marks a CompiledQuery that carries a section instead of SQL; only the SQLite driver runs it. */
export const SYNC_SECTION = '/* mandate: synchronous section */';

export async function runSynchronously<T>(ctx: RepoContext, fn: (conn: SyncConnection) => T): Promise<T> {
  const result = await execute<T>(ctx, SYNC_SECTION, [fn]);
  return result.rows[0] as T;
}
