/**
 * Lost updates on user rows (PostgreSQL, READ COMMITTED): users.update writes the whole row, so
 * every user-writing transaction starts from users.getForUpdate. The tests steer a write: right
 * after it first reads the user (in its transaction, or in the preparation before it where a
 * password is hashed), a concurrent admin or SCIM write runs (to
 * its commit, or until the first write's row lock holds it), then the first write goes on.
 * Without the lock the first write puts back what it read: a disabled user enabled again, a new
 * password replaced by the old one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/crypto/password.ts';
import type { Storage } from '../../src/storage/storage.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { afterPreparedRead, hookTransactions, interleaveOnce } from '../helpers/transaction-hooks.ts';
import { ADMIN_CLI, clientToken, IDP, newUser, scim, startScimServer } from '../scim/support.ts';
import { admin } from './support.ts';

/**
 * The next transaction that reads `userId` runs `concurrent` right after that read, and waits
 * for it to commit (or, when its own row lock holds it, 500 ms) before going on.
 */
function afterFirstRead(storage: Storage, userId: string, concurrent: () => Promise<unknown>): { undo: () => void; concurrent: Promise<unknown> } {
  const once = interleaveOnce(concurrent);
  const interleave = once.after;
  const undo = hookTransactions(storage, (tx) => ({
    users: {
      ...tx.users,
      get: (id) => (id === userId ? interleave(tx.users.get(id)) : tx.users.get(id)),
      getForUpdate: (id) => (id === userId ? interleave(tx.users.getForUpdate(id)) : tx.users.getForUpdate(id)),
    },
  }));
  return { undo, get concurrent() { return once.concurrent; } };
}

describe('user writes racing each other (postgres)', () => {
  let s: TestServer;
  let scimToken: string;
  let adminToken: string;
  beforeAll(async () => {
    s = await startScimServer({}, 'postgres');
    scimToken = await clientToken(s, IDP, 'mandate:scim');
    adminToken = await clientToken(s, ADMIN_CLI, 'mandate:admin');
  });
  afterAll(() => s.close());

  const stored = async (id: string) => (await s.server.ctx.storage.users.get(id))!;

  it('an admin disable committed while a SCIM PUT is in flight stays: the user is not re-enabled', async () => {
    const created = await scim(s, scimToken, 'POST', '/Users', newUser('race-disable@example.com'));
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    // The PUT first reads the user while preparing (its password hashed before the transaction).
    const race = afterPreparedRead(s.server.ctx.storage, id, () => admin(s, adminToken, 'POST', `/users/${id}/disable`));
    try {
      const put = await scim(s, scimToken, 'PUT', `/Users/${id}`, newUser('race-disable@example.com', { password: 'a new password from the IdP' }));
      expect(put.status).toBe(200);
      expect(put.json.active).toBe(false);
      expect((await race.concurrent as { status: number }).status).toBe(200);
    } finally {
      race.undo();
    }
    const user = await stored(id);
    expect(user.disabled).toBe(true);
    expect(await verifyPassword('a new password from the IdP', user.passwordHash!)).toBe(true); // SCIM's write kept too
    // The administrator's disablement: a routine active=true sync still may not undo it.
    expect((await scim(s, scimToken, 'PUT', `/Users/${id}`, newUser('race-disable@example.com', { active: true }))).status).toBe(403);
    expect((await stored(id)).disabled).toBe(true);
  });

  it('an admin enable racing a SCIM password change does not write the old password hash back', async () => {
    const created = await scim(s, scimToken, 'POST', '/Users', newUser('race-enable@example.com', { password: 'the old password 0123' }));
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    expect((await admin(s, adminToken, 'POST', `/users/${id}/disable`)).status).toBe(200);
    const race = afterFirstRead(s.server.ctx.storage, id, () => scim(s, scimToken, 'PUT', `/Users/${id}`, newUser('race-enable@example.com', { password: 'the new password 0123' })));
    try {
      expect((await admin(s, adminToken, 'POST', `/users/${id}/enable`)).status).toBe(200);
      expect((await race.concurrent as { status: number }).status).toBe(200);
    } finally {
      race.undo();
    }
    const user = await stored(id);
    expect(user.disabled).toBe(false);
    expect(await verifyPassword('the new password 0123', user.passwordHash!)).toBe(true);
  });
});
