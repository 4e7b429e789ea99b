/**
 * SCIM PATCH racing other user writes (PostgreSQL, READ COMMITTED). A PATCH names a few
 * attributes; the others must be the user's as the row is when the PATCH locks it, not as the
 * PATCH's first (unlocked) read saw them. That read is now the preparation's, before the
 * transaction (the password is hashed there, scim/handler.ts writePrepared): the test steers it,
 * so that right after it a concurrent SCIM PUT or admin disable runs to its commit, then the PATCH
 * goes on. Applied to that first read, a PATCH of displayName carried the stale `active: true`: it
 * re-enabled a user SCIM had just deactivated, and answered 403 (only an administrator re-enables)
 * after an administrator's disable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/crypto/password.ts';
import { admin } from '../admin/support.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { afterPreparedRead } from '../helpers/transaction-hooks.ts';
import { ADMIN_CLI, clientToken, IDP, newUser, patchOps, scim, startScimServer } from './support.ts';

describe('SCIM PATCH racing other user writes (postgres)', () => {
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
  const created = async (userName: string, extra: Record<string, unknown> = {}) => {
    const res = await scim(s, scimToken, 'POST', '/Users', newUser(userName, extra));
    expect(res.status).toBe(201);
    return res.json.id as string;
  };

  /** Runs `patch` with `concurrent` committed between its first (prepared) read and its lock; returns both statuses. */
  async function race(id: string, patch: () => Promise<{ status: number; json: Record<string, unknown> }>, concurrent: () => Promise<{ status: number }>) {
    const steered = afterPreparedRead(s.server.ctx.storage, id, concurrent);
    try {
      const patched = await patch();
      return { patched, concurrent: (await steered.concurrent) as { status: number } };
    } finally {
      steered.undo();
    }
  }

  it('a PATCH of displayName racing a SCIM PUT active:false leaves the user disabled', async () => {
    const id = await created('patch-race-scim@example.com');
    const { patched, concurrent } = await race(
      id,
      () => scim(s, scimToken, 'PATCH', `/Users/${id}`, patchOps({ op: 'replace', path: 'displayName', value: 'Renamed By Patch' })),
      () => scim(s, scimToken, 'PUT', `/Users/${id}`, newUser('patch-race-scim@example.com', { active: false })),
    );
    expect(concurrent.status).toBe(200);
    expect(patched.status).toBe(200);
    expect(patched.json.active).toBe(false);
    expect(patched.json.displayName).toBe('Renamed By Patch');
    const user = await stored(id);
    expect(user.disabled).toBe(true);
    expect(user.name).toBe('Renamed By Patch');
  });

  it('a PATCH of displayName racing an admin disable succeeds and leaves the user disabled', async () => {
    const id = await created('patch-race-admin@example.com');
    const { patched, concurrent } = await race(
      id,
      () => scim(s, scimToken, 'PATCH', `/Users/${id}`, patchOps({ op: 'replace', value: { displayName: 'Renamed While Disabled' } })),
      () => admin(s, adminToken, 'POST', `/users/${id}/disable`),
    );
    expect(concurrent.status).toBe(200);
    expect(patched.status).toBe(200);
    expect(patched.json.active).toBe(false);
    const user = await stored(id);
    expect(user.disabled).toBe(true);
    expect(user.name).toBe('Renamed While Disabled');
  });

  it('a PATCH of the password racing an admin disable sets the password and leaves the user disabled', async () => {
    const id = await created('patch-race-password@example.com', { password: 'the old password 0123' });
    const { patched, concurrent } = await race(
      id,
      () => scim(s, scimToken, 'PATCH', `/Users/${id}`, patchOps({ op: 'replace', path: 'password', value: 'the new password 0123' })),
      () => admin(s, adminToken, 'POST', `/users/${id}/disable`),
    );
    expect(concurrent.status).toBe(200);
    expect(patched.status).toBe(200);
    const user = await stored(id);
    expect(user.disabled).toBe(true);
    expect(await verifyPassword('the new password 0123', user.passwordHash!)).toBe(true);
  });
});
