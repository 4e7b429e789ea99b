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
