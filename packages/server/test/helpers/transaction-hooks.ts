/**
 * Steering concurrent requests through their storage transactions: `hookTransactions` replaces
 * `storage.transaction` (the server's own Storage) with a wrapper that lets a test wrap the
 * repositories of each transaction opened from then on. The undo restores the original.
 */
import type { Storage } from '../../src/storage/storage.ts';

type Tx = <T>(fn: (tx: Storage) => Promise<T>) => Promise<T>;

export function hookTransactions(storage: Storage, wrap: (tx: Storage) => Partial<Storage>): () => void {
  const original: Tx = storage.transaction.bind(storage);
  const patched: Tx = (fn) => original((tx) => fn(Object.assign(Object.create(tx) as Storage, wrap(tx))));
  Object.defineProperty(storage, 'transaction', { value: patched, configurable: true, writable: true });
  return () => void delete (storage as unknown as Record<string, unknown>).transaction;
}

/**
 * How many transactions of `storage` (the server's own Storage) are open now: counted from the
 * moment `storage.transaction` enters its callback (begun) until the callback settles. The undo
 * restores the original.
 */
export function countOpenTransactions(storage: Storage): { readonly open: number; undo(): void } {
  const original: Tx = storage.transaction.bind(storage);
  let open = 0;
  const patched: Tx = (fn) =>
    original(async (tx) => {
      open += 1;
      try {
        return await fn(tx);
      } finally {
        open -= 1;
      }
    });
  Object.defineProperty(storage, 'transaction', { value: patched, configurable: true, writable: true });
  return {
    get open() {
      return open;
    },
    undo: () => void delete (storage as unknown as Record<string, unknown>).transaction,
  };
}

/** Resolves when `promise` settles or after `ms`, whichever comes first (a writer held by a row lock never settles in time). */
export function settledOrTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  return Promise.race([promise.then(() => undefined, () => undefined), new Promise<void>((resolve) => setTimeout(resolve, ms))]);
}

/**
 * A one-shot interleaving for race tests: the first read passed through `after` runs `concurrent`
 * right after it and waits for it to finish (at most 500 ms: a writer held by the steered
 * transaction's own row lock never finishes in time); later reads go straight through.
 * `concurrent` is then the concurrent write's promise, to await for its result.
 */
export function interleaveOnce(concurrent: () => Promise<unknown>): { after: <T>(read: Promise<T>) => Promise<T>; readonly concurrent: Promise<unknown> } {
  let armed = true;
  let started: Promise<unknown> = Promise.resolve();
  return {
    async after<T>(read: Promise<T>): Promise<T> {
      const value = await read;
      if (!armed) return value;
      armed = false;
      started = concurrent();
      await settledOrTimeout(started, 500);
      return value;
    },
    get concurrent() {
      return started;
    },
  };
}

/**
 * A one-shot steering before a transaction rather than inside it, for both backends (on SQLite an
 * open transaction holds the connection, so a concurrent request can only run between two):
 * the next `storage.transaction` call first runs `concurrent` to its end, then opens as usual.
 * The concurrent write's own transactions, and all later ones, go straight through.
 */
export function beforeNextTransaction(storage: Storage, concurrent: () => Promise<unknown>): { undo: () => void; readonly concurrent: Promise<unknown> } {
  const original: Tx = storage.transaction.bind(storage);
  const undo = () => void delete (storage as unknown as Record<string, unknown>).transaction;
  let started: Promise<unknown> = Promise.resolve();
  const once: Tx = async (fn) => {
    undo();
    started = concurrent();
    await started;
    return original(fn);
  };
  Object.defineProperty(storage, 'transaction', { value: once, configurable: true, writable: true });
  return {
    undo,
    get concurrent() {
      return started;
    },
  };
}

/**
 * interleaveOnce without its dependence on how fast the concurrent write gets to the point that
 * matters: the first read passed through `read` (the steered transaction's) runs `concurrent` right
 * after it, then waits — without limit — until the concurrent write passes its own read through
 * `read` (the second one; or ends without one), and then at most 500 ms for that read. A read held
 * by the steered transaction's row lock does not return in time, and the steered transaction goes
 * on; one that returns means no lock holds the concurrent write, which is then awaited to its end,
 * however slow. Reads after the second go straight through.
 */
export function interleaveAtRead(concurrent: () => Promise<unknown>): { read: <T>(read: Promise<T>) => Promise<T>; readonly concurrent: Promise<unknown> } {
  let reads = 0;
  let started: Promise<unknown> = Promise.resolve();
  // Boxed: a promise resolved with a promise would wait for it instead of handing it over.
  let concurrentRead: (issued: { read: Promise<unknown> }) => void = () => undefined;
  const concurrentReadIssued = new Promise<{ read: Promise<unknown> }>((resolve) => (concurrentRead = resolve));
  return {
    async read<T>(read: Promise<T>): Promise<T> {
      reads += 1;
      if (reads === 2) concurrentRead({ read });
      if (reads !== 1) return read;
      const value = await read;
      started = concurrent();
      const ended = started.then(() => null, () => null);
      const second = await Promise.race([concurrentReadIssued, ended]);
      if (second === null) return value;
      let returned = false;
      void second.read.then(() => (returned = true), () => (returned = true));
      await settledOrTimeout(second.read, 500);
      if (returned) await ended;
      return value;
    },
    get concurrent() {
      return started;
    },
  };
}

/**
 * A one-shot steering on the read a write makes before its transaction (scrypt runs outside
 * transactions: admin/route.ts `prepare`, scim/handler.ts writePrepared): the first plain
 * `storage.users.get(userId)` runs `concurrent` to its end before it returns. The write's
 * transaction then locks the row as `concurrent` left it — the window a stale preparation must
 * not write back. The concurrent write's own reads go straight through.
 */
export function afterPreparedRead(storage: Storage, userId: string, concurrent: () => Promise<unknown>): { undo: () => void; readonly concurrent: Promise<unknown> } {
  const users = storage.users;
  let armed = true;
  let started: Promise<unknown> = Promise.resolve();
  const get: Storage['users']['get'] = async (id) => {
    const value = await users.get(id);
    if (armed && id === userId) {
      armed = false;
      started = concurrent();
      await started;
    }
    return value;
  };
  Object.defineProperty(storage, 'users', { value: Object.assign(Object.create(users) as Storage['users'], { get }), configurable: true, writable: true });
  return {
    undo: () => void Object.defineProperty(storage, 'users', { value: users, configurable: true, writable: true }),
    get concurrent() {
      return started;
    },
  };
}
