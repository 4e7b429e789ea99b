/**
 * Review findings on the SCIM API: case-insensitive attribute names that appear twice, repeated
 * list query parameters, authentication before the body is read, and the vault entries a
 * deprovisioning revoked named in its audit event (SCIM deactivation and the admin API's disable).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerContext } from '../../src/context.ts';
import type { VaultEntryRecord } from '../../src/storage/records.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { admin } from '../admin/support.ts';
import { createUser } from '../token/fixtures.ts';
import { ADMIN_CLI, clientToken, ERROR, GROUP_SCHEMA, IDP, newUser, patchOps, scim, SCIM_TYPE, startScimServer } from './support.ts';

describe('SCIM review fixes', () => {
  let s: TestServer;
  let ctx: ServerContext;
  let token: string;
  beforeAll(async () => {
    s = await startScimServer();
    ctx = s.server.ctx;
    token = await clientToken(s, IDP, 'mandate:scim');
  });
  afterAll(() => s.close());

  const invalidSyntax = (detail: string) => ({ schemas: [ERROR], status: '400', scimType: 'invalidSyntax', detail: expect.stringContaining(detail) });

  describe('an attribute named twice in different letter case is refused (RFC 7643 §2.1)', () => {
    it('userName and UserName: 400 invalidSyntax, nothing created', async () => {
      const res = await scim(s, token, 'POST', '/Users', { ...newUser('a@x.example'), UserName: 'b@x.example' });
      expect(res.status).toBe(400);
      expect(res.json).toEqual(invalidSyntax('userName'));
      expect(await ctx.storage.users.getByEmail('a@x.example')).toBeNull();
      expect(await ctx.storage.users.getByEmail('b@x.example')).toBeNull();
    });

    it('inside name and inside an email entry', async () => {
      const name = await scim(s, token, 'POST', '/Users', newUser('n@x.example', { name: { givenName: 'A', GIVENNAME: 'B' } }));
      expect(name.status).toBe(400);
      expect(name.json).toEqual(invalidSyntax('givenName'));
      const email = await scim(s, token, 'POST', '/Users', newUser('e@x.example', { emails: [{ value: 'e@x.example', VALUE: 'f@x.example' }] }));
      expect(email.status).toBe(400);
      expect(email.json).toEqual(invalidSyntax('value'));
    });

    it('a single attribute in any letter case is still accepted', async () => {
      const res = await scim(s, token, 'POST', '/Users', { schemas: newUser('c@x.example').schemas, USERNAME: 'c@x.example', Name: { GivenName: 'Cee' } });
      expect(res.status).toBe(201);
      expect(res.json).toMatchObject({ userName: 'c@x.example', name: { givenName: 'Cee' } });
    });

    it('groups: displayName twice, and a member value twice', async () => {
      const twice = await scim(s, token, 'POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'One', DisplayName: 'Two' });
      expect(twice.status).toBe(400);
      expect(twice.json).toEqual(invalidSyntax('displayName'));
      const member = await scim(s, token, 'POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Three', members: [{ value: 'usr_a', Value: 'usr_b' }] });
      expect(member.status).toBe(400);
      expect(member.json).toEqual(invalidSyntax('value'));
      expect((await scim(s, token, 'GET', '/Groups')).json.totalResults).toBe(0);
    });
  });

  describe('a repeated list parameter is refused', () => {
    for (const path of ['/Users?count=1&count=x', '/Users?filter=userName%20eq%20%22a%22&filter=active%20eq%20true', '/Groups?startIndex=1&startIndex=2', '/Users/usr_x?attributes=userName&attributes=name']) {
      it(path, async () => {
        const res = await scim(s, token, 'GET', path);
        expect(res.status).toBe(400);
        expect(res.json).toEqual(invalidSyntax('must not be repeated'));
      });
    }

    it('single parameters still work', async () => {
      const res = await scim(s, token, 'GET', '/Users?count=1&startIndex=1');
      expect(res.status).toBe(200);
      expect(res.json.itemsPerPage).toBeLessThanOrEqual(1);
    });
  });

  describe('writes authenticate before reading the body', () => {
    const badJson = (method: string, path: string, auth: string | null) =>
      fetch(`${s.issuer}/scim/v2${path}`, { method, headers: { 'content-type': SCIM_TYPE, ...(auth ? { authorization: `Bearer ${auth}` } : {}) }, body: '{not json' });

    for (const [method, path] of [['POST', '/Users'], ['PUT', '/Users/usr_x'], ['PATCH', '/Users/usr_x'], ['POST', '/Groups'], ['PUT', '/Groups/grp_x'], ['PATCH', '/Groups/grp_x']] as const) {
      it(`${method} ${path}: no token and bad JSON is 401; with a token it is 400`, async () => {
        const anonymous = await badJson(method, path, null);
        expect(anonymous.status).toBe(401);
        expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect(await anonymous.json()).toMatchObject({ schemas: [ERROR], status: '401' });
        const bad = await badJson(method, path, token);
        expect(bad.status).toBe(400);
        expect(await bad.json()).toEqual(invalidSyntax('not valid JSON'));
      });
    }
  });

  describe('deprovisioning audits the vault entries it revoked', () => {
    async function userWithVaultEntry(email: string): Promise<{ userId: string; entryId: string }> {
      const user = await createUser(ctx, email, 'Vaulted');
      const t = ctx.now();
      const entry: VaultEntryRecord = {
        id: `vle_${user.id}`, userId: user.id, connectionId: 'audit-conn', sealed: { kekId: 'k1', wrappedKey: 'd2sx', ciphertext: 'Y3Qx' },
        status: 'ok', lastError: null, refreshLeaseUntil: null, createdAt: t, updatedAt: t,
      };
      await ctx.storage.vault.entries.create(entry);
      return { userId: user.id, entryId: entry.id };
    }

    beforeAll(async () => {
      const t = ctx.now();
      await ctx.storage.vault.connections.create({ id: 'audit-conn', kind: 'static', displayName: 'Audit test', provider: null, clientSecret: null, createdAt: t, updatedAt: t });
    });

    it('SCIM active=false: revoked_vault_entries in scim.user.deactivated', async () => {
      const created = await scim(s, token, 'POST', '/Users', newUser('vault-scim@x.example'));
      expect(created.status).toBe(201);
      const userId = created.json.id as string;
      const t = ctx.now();
      await ctx.storage.vault.entries.create({ id: 'vle_scim', userId, connectionId: 'audit-conn', sealed: { kekId: 'k1', wrappedKey: 'd2sx', ciphertext: 'Y3Qx' }, status: 'ok', lastError: null, refreshLeaseUntil: null, createdAt: t, updatedAt: t });
      const res = await scim(s, token, 'PATCH', `/Users/${userId}`, patchOps({ op: 'replace', path: 'active', value: false }));
      expect(res.status).toBe(200);
      expect(res.json.active).toBe(false);
      const [event] = await ctx.storage.audit.list({ event: 'scim.user.deactivated', userId });
      expect(event!.data).toMatchObject({ revoked_vault_entries: ['vle_scim'] });
    });

    it('admin disable: revoked_vault_entries, revoked_grants and suspended_agents in admin.disableUser', async () => {
      const { userId, entryId } = await userWithVaultEntry('vault-admin@x.example');
      const res = await admin(s, await clientToken(s, ADMIN_CLI, 'mandate:admin'), 'POST', `/users/${userId}/disable`);
      expect(res.status).toBe(200);
      expect(res.json.disabled).toBe(true);
      const events = (await ctx.storage.audit.list({ event: 'admin.disableUser' })).filter((e) => e.data?.userId === userId);
      expect(events).toHaveLength(1);
      expect(events[0]!.data).toMatchObject({ userId, revoked_vault_entries: [entryId], revoked_grants: [], suspended_agents: [] });
    });
  });
});
