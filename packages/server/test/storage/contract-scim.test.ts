/**
 * Issue 5 storage contract, on SQLite and PostgreSQL: the SCIM attributes kept on users
 * (surviving the users repository's whole-record updates), and groups with their members.
 */
import { describe, expect, it } from 'vitest';
import type { GroupRecord } from '../../src/storage/records.ts';
import { BACKENDS, useStorage, user } from './fixtures.ts';

function group(overrides: Partial<GroupRecord> = {}): GroupRecord {
  return { id: 'grp_1', displayName: 'Engineering “core” ✓', externalId: 'okta-1', createdAt: 1_700_000_000, updatedAt: 1_700_000_000, ...overrides };
}

describe.each(BACKENDS)('storage contract (%s): SCIM users and groups', (backend) => {
  const h = useStorage(backend);

  describe('SCIM user attributes', () => {
    it('are empty for existing users, round-trip, survive users.update, and are null for unknown users', async () => {
      await h.storage.users.create(user());
      expect(await h.storage.scim.getUser('usr_alice')).toEqual({ userId: 'usr_alice', externalId: null, name: null, emails: null, deletedAt: null, disabledAt: null });
      const attributes = {
        userId: 'usr_alice',
        externalId: 'okta-00u1',
        name: { givenName: 'Alice', familyName: 'Liddell ✓' },
        emails: [{ value: 'alice@home.example', type: 'home', primary: true }],
        deletedAt: 1_700_000_500,
        disabledAt: 1_700_000_400,
      };
      expect(await h.storage.scim.setUser(attributes)).toBe(true);
      expect(await h.storage.scim.getUser('usr_alice')).toEqual(attributes);
      await h.storage.users.update(user({ name: 'Alice L', disabled: true, updatedAt: 1_700_000_600 }));
      expect(await h.storage.scim.getUser('usr_alice')).toEqual(attributes);
      expect((await h.storage.users.get('usr_alice'))!.name).toBe('Alice L');
      expect(await h.storage.scim.getUser('usr_nobody')).toBeNull();
      expect(await h.storage.scim.setUser({ ...attributes, userId: 'usr_nobody' })).toBe(false);
    });
  });

  describe('groups', () => {
    it('round-trip, find by displayName case-insensitively, update, list in creation order', async () => {
      const g = group();
      await h.storage.scim.createGroup(g);
      await h.storage.scim.createGroup(group({ id: 'grp_2', displayName: 'Sales', externalId: null, createdAt: 1_700_000_001 }));
      expect(await h.storage.scim.getGroup('grp_1')).toEqual(g);
      expect(await h.storage.scim.getGroup('grp_none')).toBeNull();
      expect(await h.storage.scim.getGroupByName('ENGINEERING “CORE” ✓')).toEqual(g);
      expect(await h.storage.scim.getGroupByName('nope')).toBeNull();
      const renamed = { ...g, displayName: 'Platform', updatedAt: 1_700_000_100 };
      expect(await h.storage.scim.updateGroup(renamed)).toBe(true);
      expect(await h.storage.scim.getGroup('grp_1')).toEqual(renamed);
      expect(await h.storage.scim.updateGroup(group({ id: 'grp_ghost', displayName: 'Ghost' }))).toBe(false);
      expect((await h.storage.scim.listGroups()).map((x) => x.id)).toEqual(['grp_1', 'grp_2']);
      expect((await h.storage.scim.listGroups({ limit: 1, offset: 1 })).map((x) => x.id)).toEqual(['grp_2']);
    });

    it('refuses a displayName another group holds (case-folded), on create and on update', async () => {
      await h.storage.scim.createGroup(group());
      await h.storage.scim.createGroup(group({ id: 'grp_2', displayName: 'Sales' }));
      await expect(h.storage.scim.createGroup(group({ id: 'grp_3', displayName: 'sales' }))).rejects.toThrow();
      await expect(h.storage.scim.updateGroup(group({ id: 'grp_2', displayName: 'engineering “core” ✓' }))).rejects.toThrow();
      expect((await h.storage.scim.getGroup('grp_2'))!.displayName).toBe('Sales');
    });

    it('members: replace exactly, deduplicated; a user’s groups by name; deleting a group drops its memberships', async () => {
      await h.storage.scim.createGroup(group());
      await h.storage.scim.createGroup(group({ id: 'grp_2', displayName: 'Alpha' }));
      await h.storage.scim.setGroupMembers('grp_1', ['usr_b', 'usr_a', 'usr_b']);
      await h.storage.scim.setGroupMembers('grp_2', ['usr_a']);
      expect(await h.storage.scim.listGroupMembers('grp_1')).toEqual(['usr_a', 'usr_b']);
      expect((await h.storage.scim.listGroupsOfUser('usr_a')).map((g) => g.id)).toEqual(['grp_2', 'grp_1']);
      await h.storage.scim.setGroupMembers('grp_1', ['usr_c']);
      expect(await h.storage.scim.listGroupMembers('grp_1')).toEqual(['usr_c']);
      expect((await h.storage.scim.listGroupsOfUser('usr_a')).map((g) => g.id)).toEqual(['grp_2']);
      expect(await h.storage.scim.deleteGroup('grp_2')).toBe(true);
      expect(await h.storage.scim.deleteGroup('grp_2')).toBe(false);
      expect(await h.storage.scim.listGroupsOfUser('usr_a')).toEqual([]);
      expect(await h.storage.scim.listGroupMembers('grp_2')).toEqual([]);
    });

    it('a large member set is written in chunks and read back whole', async () => {
      await h.storage.scim.createGroup(group());
      const ids = Array.from({ length: 1234 }, (_, i) => `usr_${String(i).padStart(5, '0')}`);
      await h.storage.scim.setGroupMembers('grp_1', ids);
      expect(await h.storage.scim.listGroupMembers('grp_1')).toEqual(ids);
    });

    it('member writes roll back with the transaction', async () => {
      await h.storage.scim.createGroup(group());
      await h.storage.scim.setGroupMembers('grp_1', ['usr_a']);
      await expect(
        h.storage.transaction(async (tx) => {
          await tx.scim.setGroupMembers('grp_1', ['usr_x', 'usr_y']);
          await tx.scim.updateGroup(group({ displayName: 'Renamed' }));
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(await h.storage.scim.listGroupMembers('grp_1')).toEqual(['usr_a']);
      expect((await h.storage.scim.getGroup('grp_1'))!.displayName).toBe(group().displayName);
    });
  });
});
