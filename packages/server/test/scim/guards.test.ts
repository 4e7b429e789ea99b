/**
 * What a SCIM client may not do, whatever its bearer token (scim/user-guards.ts): modify or delete
 * an administrator, or re-activate a user it did not disable; and what a password or login-email
 * change through SCIM ends: the user's sessions, grants and tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { sha256 } from '../../src/crypto/hash.ts';
import { verifyPassword } from '../../src/crypto/password.ts';
import type { ServerContext } from '../../src/context.ts';
import type { UserRecord } from '../../src/storage/records.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { createGrant, grantToken } from '../agents/support.ts';
import { createUser } from '../interaction/support/fixtures.ts';
import { ADMIN_CLI, clientToken, ERROR, IDP, introspectsActive, patchOps, scim, startScimServer, USER_SCHEMA } from './support.ts';

describe.each(['sqlite', 'postgres'] as const)('SCIM guards (%s)', (backend) => {
  let s: TestServer;
  let ctx: ServerContext;
  let token: string;
  let adminToken: string;
  beforeAll(async () => {
    s = await startScimServer({}, backend);
    ctx = s.server.ctx;
    token = await clientToken(s, IDP, 'mandate:scim');
    adminToken = await clientToken(s, ADMIN_CLI, 'mandate:admin');
  });
  afterAll(() => s.close());

  const call = (method: string, path: string, body?: unknown) => scim(s, token, method, path, body);
  const admin = async (userId: string, action: 'disable' | 'enable') => {
    const res = await fetch(`${s.issuer}/admin/v1/users/${userId}/${action}`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}` } });
    expect(res.status).toBe(200);
  };
  const stored = async (id: string) => (await ctx.storage.users.get(id)) as UserRecord;

  async function session(userId: string): Promise<string> {
    const idHash = sha256(randomBytes(16).toString('hex'));
    const t = ctx.now();
    await ctx.storage.sessions.create({ idHash, userId, authTime: t, acr: '1', amr: ['pwd'], createdAt: t, expiresAt: t + 3600, revokedAt: null });
    return idHash;
  }

  const active = (accessToken: string) => introspectsActive(s, accessToken);

  describe('administrators are read-only to SCIM', () => {
    it('PUT, PATCH (password, userName, active) and DELETE → 403 mutability; nothing changes; GET still works', async () => {
      const u = await createUser(ctx, { totp: false });
      await ctx.storage.users.update({ ...u.record, isAdmin: true });
      const before = await stored(u.record.id);
      expect((await call('GET', `/Users/${u.record.id}`)).json).toMatchObject({ id: u.record.id, userName: u.email });

      const attempts = [
        await call('PUT', `/Users/${u.record.id}`, { schemas: [USER_SCHEMA], userName: 'attacker@evil.example', password: 'attacker chosen password' }),
        await call('PATCH', `/Users/${u.record.id}`, patchOps({ op: 'replace', path: 'password', value: 'attacker chosen password' })),
        await call('PATCH', `/Users/${u.record.id}`, patchOps({ op: 'replace', path: 'userName', value: 'attacker@evil.example' })),
        await call('PATCH', `/Users/${u.record.id}`, patchOps({ op: 'replace', path: 'active', value: false })),
        await call('DELETE', `/Users/${u.record.id}`),
      ];
      for (const res of attempts) {
        expect(res.status).toBe(403);
        expect(res.json).toMatchObject({ schemas: [ERROR], status: '403', scimType: 'mutability' });
        expect(res.json.detail).toMatch(/administrator/);
      }
      const after = await stored(u.record.id);
      expect(after).toEqual(before);
      expect(await verifyPassword(u.password, after.passwordHash!)).toBe(true);
      expect((await call('GET', `/Users/${u.record.id}`)).status).toBe(200);
      expect(await ctx.storage.audit.list({ event: 'scim.user.updated', userId: u.record.id })).toEqual([]);
    });
  });

  describe('SCIM re-activates only users SCIM disabled', () => {
    it('a user an administrator disabled: active=true by PATCH or PUT → 403, still disabled; other attributes may still change', async () => {
      const u = await createUser(ctx, { totp: false });
      await admin(u.record.id, 'disable');
      const patch = await call('PATCH', `/Users/${u.record.id}`, patchOps({ op: 'replace', path: 'active', value: true }));
      expect(patch.status).toBe(403);
      expect(patch.json).toMatchObject({ scimType: 'mutability' });
      expect(patch.json.detail).toMatch(/only an administrator can re-enable/);
      const put = await call('PUT', `/Users/${u.record.id}`, { schemas: [USER_SCHEMA], userName: u.email, active: true });
      expect(put.status).toBe(403);
      expect((await stored(u.record.id)).disabled).toBe(true);
      expect(await ctx.storage.audit.list({ event: 'scim.user.reactivated', userId: u.record.id })).toEqual([]);

      const rename = await call('PATCH', `/Users/${u.record.id}`, patchOps({ op: 'replace', path: 'displayName', value: 'Renamed' }));
      expect(rename.status).toBe(200);
      expect(rename.json).toMatchObject({ displayName: 'Renamed', active: false });
    });

    it('SCIM’s own deactivation is SCIM’s to undo — until an administrator disables the user too', async () => {
      const own = await createUser(ctx, { totp: false });
      expect((await call('PATCH', `/Users/${own.record.id}`, patchOps({ op: 'replace', path: 'active', value: false }))).status).toBe(200);
      expect((await call('PATCH', `/Users/${own.record.id}`, patchOps({ op: 'replace', path: 'displayName', value: 'Still SCIM’s' }))).status).toBe(200);
      const back = await call('PATCH', `/Users/${own.record.id}`, patchOps({ op: 'replace', path: 'active', value: true }));
      expect(back.status).toBe(200);
      expect((await stored(own.record.id)).disabled).toBe(false);

      // Disabled by SCIM, then again by an administrator (a no-op for the row): the administrator's now.
      const both = await createUser(ctx, { totp: false });
      await call('PATCH', `/Users/${both.record.id}`, patchOps({ op: 'replace', path: 'active', value: false }));
      await admin(both.record.id, 'disable');
      expect((await call('PATCH', `/Users/${both.record.id}`, patchOps({ op: 'replace', path: 'active', value: true }))).status).toBe(403);

      // Disabled by SCIM, enabled and disabled again by an administrator.
      const cycled = await createUser(ctx, { totp: false });
      await call('PATCH', `/Users/${cycled.record.id}`, patchOps({ op: 'replace', path: 'active', value: false }));
      await admin(cycled.record.id, 'enable');
      await admin(cycled.record.id, 'disable');
      expect((await call('PATCH', `/Users/${cycled.record.id}`, patchOps({ op: 'replace', path: 'active', value: true }))).status).toBe(403);
      for (const u of [both, cycled]) expect((await stored(u.record.id)).disabled).toBe(true);
    });

    it('a user created inactive through SCIM can be activated by SCIM', async () => {
      const created = await call('POST', '/Users', { schemas: [USER_SCHEMA], userName: `late-${backend}-${randomBytes(3).toString('hex')}@example.com`, active: false });
      expect(created.status).toBe(201);
      expect((await call('PATCH', `/Users/${created.json.id}`, patchOps({ op: 'replace', path: 'active', value: true }))).json.active).toBe(true);
    });
  });

  describe('a credential change through SCIM ends what the old credential opened', () => {
    async function withAccess() {
      const u = await createUser(ctx, { totp: false });
      const sessionHash = await session(u.record.id);
      const grant = await createGrant(ctx, { userId: u.record.id });
      const issued = await grantToken(ctx, grant);
      expect(await active(issued.token)).toBe(true);
      return { u, sessionHash, grant, issued };
    }

    const changes: [string, 'PATCH' | 'PUT', (email: string) => unknown, Record<string, boolean>][] = [
      ['a new password (PATCH)', 'PATCH', () => patchOps({ op: 'replace', path: 'password', value: 'a brand new long password' }), { password_changed: true, email_changed: false }],
      ['a new userName (PUT)', 'PUT', (email) => ({ schemas: [USER_SCHEMA], userName: `moved-${email}` }), { password_changed: false, email_changed: true }],
    ];
    it.each(changes    )('%s: sessions ended, grants and tokens revoked, audited; the user stays enabled', async (_, method, body, flags) => {
      const { u, sessionHash, grant, issued } = await withAccess();
      const res = await call(method, `/Users/${u.record.id}`, body(u.email));
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      expect(res.json.active).toBe(true);
      expect((await ctx.storage.sessions.get(sessionHash))?.revokedAt).not.toBeNull();
      expect((await ctx.storage.grants.get(grant.id))?.revokedAt).not.toBeNull();
      expect(await active(issued.token)).toBe(false);
      expect((await ctx.storage.revocations.list({})).some((e) => e.jti === issued.jti)).toBe(true);
      const [event] = await ctx.storage.audit.list({ event: 'scim.user.credentials_changed', userId: u.record.id });
      expect(event?.data).toMatchObject({ ...flags, ended_sessions: 1, revoked_grants: [grant.id] });
      expect((await stored(u.record.id)).disabled).toBe(false);
    });

    it('a change of other attributes ends nothing', async () => {
      const { u, sessionHash, grant, issued } = await withAccess();
      expect((await call('PATCH', `/Users/${u.record.id}`, patchOps({ op: 'replace', path: 'displayName', value: 'Same Credentials' }))).status).toBe(200);
      expect((await ctx.storage.sessions.get(sessionHash))?.revokedAt).toBeNull();
      expect((await ctx.storage.grants.get(grant.id))?.revokedAt).toBeNull();
      expect(await active(issued.token)).toBe(true);
    });
  });
});
