/**
 * What every repository shares: the Kysely handle (the root database or one open transaction),
 * the backend kind and per-process state. Internal to storage/.
 */
import type { Kysely, QueryResult } from 'kysely';
import type { Database } from './db-types.ts';
import type { Page } from './storage.ts';

export type StorageKind = 'sqlite' | 'postgres';

export interface SharedState {
  /** PostgreSQL advisory lock key serialising audit appends of this schema across instances. */
  readonly auditLockKey: number;
  /** Epoch seconds of the last sweep of expired replay-cache rows. */
  replaySweptAt: number;
}

export interface RepoContext {
  readonly db: Kysely<Database>;
  readonly kind: StorageKind;
  /** True when `db` is a transaction: nested work reuses it instead of opening another. */
  readonly inTransaction: boolean;
  readonly shared: SharedState;
  /** The connection of `db` without Kysely in between (SQLite); statements.ts uses it when it matches `db`. */
  readonly direct?: DirectExecutor;
}

/**
 * Runs hand-written statements on the connection `db` stands for, skipping Kysely's connection
 * bookkeeping (several promises per statement — more than SQLite takes to run a small one).
 * Bound to one Kysely handle: a context copied with another `db` (a transaction) must not use it.
 */
export interface DirectExecutor {
  readonly db: Kysely<Database>;
  execute<R>(sql: string, parameters: readonly unknown[]): Promise<QueryResult<R>>;
}

/** Makes DirectExecutors for the root database and for the transaction holding the connection. */
export interface DirectConnection {
  forRoot(db: Kysely<Database>): DirectExecutor;
  /** Call first thing in a transaction's callback: the transaction then holds the connection. */
  forTransaction(db: Kysely<Database>): DirectExecutor;
}

/** Runs `fn` in the current transaction, or in a new one when there is none. */
export function withTransaction<T>(ctx: RepoContext, fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  if (ctx.inTransaction) return fn(ctx.db);
  return ctx.db.transaction().execute(fn);
}

export const DEFAULT_PAGE_LIMIT = 1000;
export const MAX_PAGE_LIMIT = 10_000;

/** Lists are bounded: default 1000 rows, never more than 10 000 in one call. */
export function pageOf(page: Page | undefined): { limit: number; offset: number } {
  const limit = Math.min(Math.max(Math.trunc(page?.limit ?? DEFAULT_PAGE_LIMIT), 1), MAX_PAGE_LIMIT);
  const offset = Math.max(Math.trunc(page?.offset ?? 0), 0);
  return { limit, offset };
}

/** JSON columns are TEXT on both backends. */
export function toJson(value: unknown): string {
  return JSON.stringify(value);
}

export function toJsonOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

export function fromJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

export function fromJsonOrNull<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

/** Booleans are INTEGER 0/1 on both backends. */
export function toFlag(value: boolean): number {
  return value ? 1 : 0;
}

export function changed(result: { numUpdatedRows?: bigint; numDeletedRows?: bigint }): number {
  return Number(result.numUpdatedRows ?? result.numDeletedRows ?? 0n);
}
