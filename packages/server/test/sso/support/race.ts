/**
 * Two first logins of the same upstream account at once (federation/upstream/account.ts). The
 * tests steer the callback's account transaction through a wrapper around Storage.transaction:
 *
 * - staleReads: the first transaction does not see rows the test committed beforehand, as if
 *   the other login committed them between this one's lookups and its insert (deterministic on
 *   SQLite and PostgreSQL; a real unique index then refuses the insert).
 * - barrier: each transaction waits after its lookups until `parties` transactions got there, so
 *   concurrent callbacks all read "nothing there" before any writes (PostgreSQL only: SQLite runs
 *   one transaction at a time, where this race cannot happen and a barrier would never open).
 */
import type { Storage } from '../../../src/storage/storage.ts';

type Tx = <T>(fn: (tx: Storage) => Promise<T>) => Promise<T>;

/** Replaces `storage.transaction` with a wrapper of each transaction's Storage; returns the undo. */
function wrapTransactions(storage: Storage, wrap: (tx: Storage) => Storage): () => void {
  const original: Tx = storage.transaction.bind(storage);
  const patched: Tx = (fn) => original((tx) => fn(wrap(tx)));
  Object.defineProperty(storage, 'transaction', { value: patched, configurable: true, writable: true });
  return () => void delete (storage as unknown as Record<string, unknown>).transaction;
}

function withRepos(tx: Storage, repos: Partial<Pick<Storage, 'users' | 'upstreamIdentities'>>): Storage {
  return Object.assign(Object.create(tx) as Storage, repos);
}

/** The first transaction reads no identity for (provider, subject) and no user for `email`. */
export function staleReads(storage: Storage, hidden: { providerId: string; subject: string; email?: string }): () => void {
  let first = true;
  return wrapTransactions(storage, (tx) => {
    if (!first) return tx;
    first = false;
    return withRepos(tx, {
      upstreamIdentities: {
        ...tx.upstreamIdentities,
        get: async (providerId, subject) => (providerId === hidden.providerId && subject === hidden.subject ? null : tx.upstreamIdentities.get(providerId, subject)),
      },
      users: { ...tx.users, getByEmail: async (email) => (hidden.email !== undefined && email.toLowerCase() === hidden.email.toLowerCase() ? null : tx.users.getByEmail(email)) },
    });
  });
}

/** Transactions wait after their email lookup until `parties` of them did it; later ones pass. */
export function barrier(storage: Storage, parties: number): () => void {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return wrapTransactions(storage, (tx) =>
    withRepos(tx, {
      users: {
        ...tx.users,
        getByEmail: async (email) => {
          const found = await tx.users.getByEmail(email);
          if (++arrived >= parties) open();
          await opened;
          return found;
        },
      },
    }),
  );
}
