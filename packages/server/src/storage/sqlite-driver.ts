/**
 * A Kysely driver for one better-sqlite3 connection, built for many concurrent requests:
 *
 * - Group commit. Writes join an implicit BEGIN IMMEDIATE batch that commits on the next
 *   event-loop turn; each caller's promise settles only after that COMMIT, so nothing is
 *   reported written before it is. One commit serves every request of that turn.
 * - Explicit transactions are SAVEPOINTs inside the batch: rollback undoes only their work,
 *   commit releases the savepoint and settles when the batch commits. While one is open it
 *   holds the connection: statements from outside wait in a FIFO queue, and queued statements
 *   run synchronously when released, so none can slip into the next transaction.
 * - Reads outside a batch run at once; reads while a batch is open join it (they may see its
 *   uncommitted writes, so they settle with it).
 * - A synchronous section (sqlite-sync.ts) runs several statements with JS in between and
 *   nothing else interleaved, inside the current batch or transaction.
 * - Prepared statements are cached: preparing costs more than running a small insert.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { CompiledQuery, DatabaseConnection, Driver, QueryResult } from 'kysely';
import { SYNC_SECTION, type SyncConnection } from './sqlite-sync.ts';

const STATEMENT_CACHE_SIZE = 256;
const SAVEPOINT = 'mandate_tx';

/**
 * How long a writer waits for the write lock held by another connection (another process, or
 * a second Storage on the same file). SQLite's own busy timeout blocks the event loop, so it is
 * kept short (sqlite.ts) and the rest of the wait is asynchronous retries.
 */
export const WRITE_LOCK_WAIT_MS = 5000;
const RETRY_MS = 5;

const LOCKED = 'SQLite database is locked by another connection';

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Statement = Pick<CompiledQuery, 'sql' | 'parameters'>; // Kysely's, or sqlite-direct.ts's without Kysely

interface Batch {
  settle: { resolve: () => void; reject: (error: unknown) => void }[];
}

interface Queued {
  run: () => void;
  fail: (error: unknown) => void;
}

export class Handle implements DatabaseConnection {
  constructor(private readonly driver: BatchingSqliteDriver) {}
  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.driver.execute<R>(this, query);
  }
  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    // Rows are read eagerly: a lazily iterated statement would hold the single connection across awaits.
    const result = await this.driver.execute<R>(this, query);
    for (const row of result.rows) yield { rows: [row] };
  }
}

export class BatchingSqliteDriver implements Driver {
  readonly #db: BetterSqlite3.Database;
  readonly #statements = new Map<string, BetterSqlite3.Statement>();
  /** Holds the connection: an open explicit transaction, or a statement waiting for the write lock. */
  #owner: Handle | null = null;
  readonly #queue: Queued[] = [];
  #batch: Batch | null = null;
  /** The batch's turn ended while a transaction was open: commit as soon as it ends. */
  #commitDue = false;

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new Handle(this);
  }

  /** The handle holding the connection: inside a transaction's callback, that transaction's. */
  get owner(): Handle | null {
    return this.#owner;
  }

  execute<R>(handle: Handle, query: Statement): Promise<QueryResult<R>> {
    if (this.#owner === handle) {
      try {
        return Promise.resolve(this.#run<R>(query));
      } catch (error) {
        this.#checkBatchAlive(error);
        return Promise.reject(error);
      }
    }
    if (this.#owner !== null) return this.#enqueue(() => this.#autocommit<R>(query));
    return this.#autocommit<R>(query);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const handle = connection as Handle;
    if (this.#owner !== null && this.#owner !== handle) await this.#enqueue(async () => void (this.#owner = handle));
    this.#owner = handle;
    try {
      const deadline = Date.now() + WRITE_LOCK_WAIT_MS;
      while (this.#batch === null && !this.#openBatch()) {
        if (Date.now() >= deadline) throw new Error(LOCKED);
        await sleep(RETRY_MS);
      }
      this.#db.exec(`savepoint ${SAVEPOINT}`);
    } catch (error) {
      this.#release();
      throw error;
    }
  }

  async commitTransaction(): Promise<void> {
    const batch = this.#batch;
    try {
      if (batch === null || !this.#db.inTransaction) throw new Error('the SQLite transaction was aborted');
      this.#db.exec(`release ${SAVEPOINT}`);
    } catch (error) {
      this.#undoSavepoint();
      this.#release();
      throw error;
    }
    const committed = new Promise<void>((resolve, reject) => batch.settle.push({ resolve, reject }));
    this.#release();
    await committed;
  }

  async rollbackTransaction(): Promise<void> {
    this.#undoSavepoint();
    this.#release();
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    if (this.#owner !== connection) return;
    this.#undoSavepoint();
    this.#release();
  }

  async destroy(): Promise<void> {
    this.#commitBatch();
    this.#db.close();
  }

  #undoSavepoint(): void {
    // SQLite may already have rolled the whole batch back on its own (I/O error, disk full).
    if (this.#db.inTransaction) {
      try {
        this.#db.exec(`rollback to ${SAVEPOINT}`);
        this.#db.exec(`release ${SAVEPOINT}`);
      } catch {
        // No savepoint open (begin failed before creating it): nothing to undo.
      }
    } else if (this.#batch) {
      this.#failBatch(this.#batch, new Error('the SQLite transaction was aborted'));
    }
  }

  #prepare(sql: string): BetterSqlite3.Statement {
    let stmt = this.#statements.get(sql);
    if (stmt === undefined) {
      stmt = this.#db.prepare(sql);
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) this.#statements.delete(this.#statements.keys().next().value as string);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  readonly #sync: SyncConnection = {
    get: <T>(sql: string, params: readonly unknown[]) => this.#prepare(sql).get(params as unknown[]) as T | undefined,
    run: (sql: string, params: readonly unknown[]) => this.#prepare(sql).run(params as unknown[]).changes,
  };

  #run<R>(query: Statement, stmt?: BetterSqlite3.Statement): QueryResult<R> {
    const params = query.parameters as unknown[];
    if (query.sql === SYNC_SECTION) return { rows: [(params[0] as (conn: SyncConnection) => R)(this.#sync)] };
    const prepared = stmt ?? this.#prepare(query.sql);
    if (prepared.reader) return { rows: prepared.all(params) as R[] };
    const { changes, lastInsertRowid } = prepared.run(params);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  /** A statement outside any explicit transaction: runs now, settles when its batch commits. */
  #autocommit<R>(query: Statement): Promise<QueryResult<R>> {
    let stmt: BetterSqlite3.Statement | undefined;
    try {
      stmt = query.sql === SYNC_SECTION ? undefined : this.#prepare(query.sql);
      if (this.#batch === null && stmt?.readonly) return Promise.resolve(this.#run<R>(query, stmt));
      if (this.#batch === null && !this.#openBatch()) return this.#waitForWriteLock<R>(query);
    } catch (error) {
      return Promise.reject(error);
    }
    const batch = this.#batch!;
    let result: QueryResult<R>;
    try {
      result = this.#run<R>(query, stmt);
    } catch (error) {
      this.#checkBatchAlive(error);
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => batch.settle.push({ resolve: () => resolve(result), reject }));
  }

  /**
   * A constraint error undoes only its statement; an error that aborted the whole transaction
   * (I/O, disk full) lost the writes of every statement in the batch, whose callers must know.
   */
  #checkBatchAlive(error: unknown): void {
    if (this.#batch !== null && !this.#db.inTransaction) this.#failBatch(this.#batch, error);
  }

  /** Starts a write batch; false when another connection holds the write lock. */
  #openBatch(): boolean {
    try {
      this.#db.exec('begin immediate');
    } catch (error) {
      if (isBusy(error)) return false;
      throw error;
    }
    const batch: Batch = { settle: [] };
    this.#batch = batch;
    setImmediate(() => {
      if (this.#batch !== batch) return;
      if (this.#owner !== null) this.#commitDue = true;
      else this.#commitBatch();
    });
    return true;
  }

  /**
   * Another connection holds the write lock: take the connection so later statements queue
   * behind this one, and retry asynchronously until the lock is ours or the wait runs out.
   */
  #waitForWriteLock<R>(query: Statement): Promise<QueryResult<R>> {
    this.#owner = new Handle(this);
    // First in line: it was issued before anything still queued.
    const result = this.#enqueue(() => this.#autocommit<R>(query), true);
    const deadline = Date.now() + WRITE_LOCK_WAIT_MS;
    const attempt = (): void => {
      try {
        if (this.#openBatch()) return this.#release();
        if (Date.now() < deadline) return void setTimeout(attempt, RETRY_MS);
        this.#failQueued(new Error(LOCKED));
      } catch (error) {
        this.#failQueued(error);
      }
    };
    setTimeout(attempt, RETRY_MS);
    return result;
  }

  #enqueue<T>(fn: () => Promise<T>, first = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const item = { run: () => void fn().then(resolve, reject), fail: reject };
      if (first) this.#queue.unshift(item);
      else this.#queue.push(item);
    });
  }

  #commitBatch(): void {
    const batch = this.#batch;
    this.#commitDue = false;
    if (batch === null) return;
    this.#batch = null;
    try {
      this.#db.exec('commit');
    } catch (error) {
      if (this.#db.inTransaction) this.#db.exec('rollback');
      for (const s of batch.settle) s.reject(error);
      return;
    }
    for (const s of batch.settle) s.resolve();
  }

  #failBatch(batch: Batch, error: unknown): void {
    if (this.#batch === batch) this.#batch = null;
    for (const s of batch.settle) s.reject(error);
  }

  /** The write lock never came: everything queued behind it fails. */
  #failQueued(error: unknown): void {
    this.#owner = null;
    for (const next of this.#queue.splice(0)) next.fail(error);
  }

  /**
   * Ends the hold on the connection: a batch whose turn has passed commits, then queued work
   * runs in order until something takes the connection again.
   */
  #release(): void {
    this.#owner = null;
    if (this.#commitDue) this.#commitBatch();
    while (this.#owner === null && this.#queue.length > 0) this.#queue.shift()!.run();
  }
}
