/**
 * Parsed records kept in memory for the SQLite backend, for the lookups every token request
 * makes (clients.ts: the client, ~6% of a client_credentials grant; agents.ts: the agent a
 * client stands for, and the agents of a token exchange). Never at the price of a stale record:
 *
 * - Writes through this connection go through the repository, which invalidates when the write
 *   is issued and again when it settles (committed or failed). Every invalidation also bumps a
 *   generation: a read that overlapped any write does not store what it read, so no value of a
 *   batch that was later rolled back can stay cached.
 * - Commits by other connections (another process on the same file, the CLI, a second Storage)
 *   change SQLite's `PRAGMA data_version` as seen by this connection (it does not change for this
 *   connection's own commits). Each lookup reads it first; a new value drops every entry.
 * - Reads inside a transaction may see its own uncommitted writes: the repositories read past
 *   the cache there and never fill it.
 *
 * PostgreSQL has no cache: several server instances share the database and nothing would tell
 * one instance about another's writes, so it reads the row every time.
 */
import type { RepoContext, SharedState } from '../context.ts';
import { first } from '../statements.ts';

/** What a lookup saw before reading the row: a stored result is valid only if nothing moved since. */
export interface CacheLookup {
  readonly dataVersion: number;
  readonly generation: number;
}

/**
 * Values by key. `V` may include null (a cached "no such row"); `peek` answers undefined for
 * "not cached", so `V` itself must not include undefined.
 */
export class SqliteReadCache<V extends object | null> {
  readonly #entries = new Map<string, V>();
  /** The data_version the entries were read under; null before the first lookup. */
  #dataVersion: number | null = null;
  #generation = 0;

  /** Bounds memory; past it the entry cached first is dropped. */
  constructor(private readonly maxEntries: number) {}

  /**
   * Reads data_version through the connection the driver uses (statements.ts: the prepared,
   * read-only statement path — it never opens a write batch) and drops everything when another
   * connection committed since the entries were read. Null when the value is unusable: do not cache.
   */
  async begin(ctx: RepoContext): Promise<CacheLookup | null> {
    const row = await first<{ data_version: unknown }>(ctx, 'pragma data_version', []);
    const dataVersion = row?.data_version;
    if (typeof dataVersion !== 'number') {
      this.clear();
      return null;
    }
    if (dataVersion !== this.#dataVersion) {
      this.clear();
      this.#dataVersion = dataVersion;
    }
    return { dataVersion, generation: this.#generation };
  }

  /** The cached value (null included), valid as of the `begin` just awaited; undefined when not cached. */
  peek(key: string): V | undefined {
    return this.#entries.get(key);
  }

  /** Caches `value` unless a write or another connection's commit happened since `lookup`. */
  store(key: string, value: V, lookup: CacheLookup): void {
    if (lookup.generation !== this.#generation || lookup.dataVersion !== this.#dataVersion) return;
    if (!this.#entries.has(key) && this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, value);
  }

  invalidate(key: string): void {
    this.#generation++;
    this.#entries.delete(key);
  }

  clear(): void {
    this.#generation++;
    this.#entries.clear();
  }

  /** Runs a write of `key`, invalidating it when the write is issued and again when it settles, either way. */
  async writing<T>(key: string, write: () => Promise<T>): Promise<T> {
    this.invalidate(key);
    try {
      return await write();
    } finally {
      this.invalidate(key);
    }
  }

  /** Runs a write that may change any entry, clearing all of them when it is issued and when it settles. */
  async writingAll<T>(write: () => Promise<T>): Promise<T> {
    this.clear();
    try {
      return await write();
    } finally {
      this.clear();
    }
  }
}

/**
 * Makes the accessor of one kind of cache: one cache per Storage instance (per connection), never
 * per process — keyed by the SharedState object that createKyselyStorage makes once per Storage
 * and that transaction contexts copy by reference, so a transaction's repository invalidates the
 * same cache as the root one. The accessor answers undefined on PostgreSQL (see the file comment).
 */
export function perStorageCache<V extends object | null>(maxEntries: number): (ctx: RepoContext) => SqliteReadCache<V> | undefined {
  const cachesByStorage = new WeakMap<SharedState, SqliteReadCache<V>>();
  return (ctx) => {
    if (ctx.kind !== 'sqlite') return undefined;
    let cache = cachesByStorage.get(ctx.shared);
    if (cache === undefined) cachesByStorage.set(ctx.shared, (cache = new SqliteReadCache<V>(maxEntries)));
    return cache;
  };
}

/**
 * A lookup of `key` through `cache` (undefined on PostgreSQL: reads every time). Inside a
 * transaction it reads the row and never fills the cache: the transaction may see its own
 * uncommitted writes, and in-transaction re-checks (an agent's suspension) must read the row.
 * A null answer is cached only with `cacheAbsent` (callers whose key anyone may send leave it off:
 * unknown keys would only evict real entries, and a later create must be seen).
 */
export async function readThrough<V extends object>(
  cache: SqliteReadCache<V | null> | undefined,
  ctx: RepoContext,
  key: string,
  read: () => Promise<V | null>,
  cacheAbsent: boolean,
): Promise<V | null> {
  if (cache === undefined || ctx.inTransaction) return read();
  const seen = await cache.begin(ctx);
  const hit = cache.peek(key);
  if (hit !== undefined) return hit;
  const value = await read();
  if (seen !== null && (value !== null || cacheAbsent)) cache.store(key, value, seen);
  return value;
}

/** Records handed out may be cached and shared by every caller: none may change one. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}
