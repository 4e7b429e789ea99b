/**
 * users.getForUpdate: the read every user-writing transaction starts with (users.update replaces
 * the whole row). PostgreSQL (READ COMMITTED): `for update` holds the row, so a concurrent
 * writer waits for the commit instead of writing back what it read before; SQLite serialises
 * write transactions (BEGIN IMMEDIATE), so a plain read.
 */
import { describe, expect, it } from 'vitest';
import { BACKENDS, useStorage, user } from './fixtures.ts';
import { waitForLockWaiters } from './lock-wait.ts';

for (const backend of BACKENDS) {
  describe(`users.getForUpdate (${backend})`, () => {
    const h = useStorage(backend);

    it('reads the user inside a transaction, and null for an unknown id', async () => {
      await h.storage.users.create(user());
      expect(await h.storage.transaction((tx) => tx.users.getForUpdate('usr_alice'))).toEqual(user());
      expect(await h.storage.transaction((tx) => tx.users.getForUpdate('usr_missing'))).toBeNull();
    });
  });
}

describe('users.getForUpdate holds the row (postgres)', () => {
  const h = useStorage('postgres');

  it('a concurrent read-for-update waits for the commit, then reads the committed row', async () => {
    await h.storage.users.create(user());
    let second: Promise<boolean> | undefined;
    let done = false;
    await h.storage.transaction(async (tx) => {
      const alice = (await tx.users.getForUpdate('usr_alice'))!;
      // Another writer (an admin enable, say) reads the row to write it back whole.
      second = h.storage.transaction(async (other) => {
        const read = (await other.users.getForUpdate('usr_alice'))!;
        done = true;
        return other.users.update({ ...read, name: 'Alice B.', updatedAt: 1_700_000_200 });
      });
      await waitForLockWaiters(h); // the second read-for-update waits for the row lock
      expect(done).toBe(false); // held by this transaction's row lock
      await tx.users.update({ ...alice, disabled: true, updatedAt: 1_700_000_100 });
    });
    expect(await second).toBe(true);
    expect(await h.storage.users.get('usr_alice')).toMatchObject({ disabled: true, name: 'Alice B.' });
  });
});
