/**
 * Issue 3 storage contract, on SQLite and PostgreSQL: agent identities (ID-2), revoking by agent
 * and by user, and the revocation feed every revocation path appends to (CO-1).
 */
import { describe, expect, it } from 'vitest';
import { BACKENDS, accessToken, agent, consent, grant, refreshToken, useStorage, type StorageHandle } from './fixtures.ts';

/** Feed rows without their seq, in seq order. */
async function feed(h: StorageHandle, now?: number): Promise<{ jti: string | null; grantId: string | null; expiresAt: number; reason: string }[]> {
  const rows = await h.storage.revocations.list(now === undefined ? {} : { expiresAfter: now });
  return rows.map(({ jti, grantId, expiresAt, reason }) => ({ jti, grantId, expiresAt, reason }));
}

describe.each(BACKENDS)('storage contract (%s): agents and the revocation feed', (backend) => {
  const h = useStorage(backend);

  describe('ID-2 agent records', () => {
    it('round-trips every field, finds by client id, updates and lists per owner in creation order', async () => {
      const a = agent();
      await h.storage.agents.create(a);
      const sparse = agent({ id: 'agt_2', attestation: null, jwks: null, clientId: null, allowedTools: [], createdAt: 1_700_000_001 });
      await h.storage.agents.create(sparse);
      await h.storage.agents.create(agent({ id: 'agt_3', ownerUserId: 'usr_bob', clientId: null, createdAt: 1_700_000_002 }));
      expect(await h.storage.agents.get('agt_1')).toEqual(a);
      expect(await h.storage.agents.get('agt_2')).toEqual(sparse);
      expect(await h.storage.agents.get('agt_none')).toBeNull();
      expect(await h.storage.agents.getByClientId('agent-client')).toEqual(a);
      expect(await h.storage.agents.getByClientId('other')).toBeNull();
      const suspended = { ...a, status: 'suspended' as const, suspendedBy: 'owner' as const, allowedScopes: ['mail:read'], updatedAt: 1_700_000_100 };
      expect(await h.storage.agents.update(suspended)).toBe(true);
      expect(await h.storage.agents.get('agt_1')).toEqual(suspended);
      expect(await h.storage.agents.update(agent({ id: 'agt_ghost', clientId: null }))).toBe(false);
      expect((await h.storage.agents.list({ ownerUserId: 'usr_alice' })).map((x) => x.id)).toEqual(['agt_1', 'agt_2']);
      expect((await h.storage.agents.list({})).map((x) => x.id)).toEqual(['agt_1', 'agt_2', 'agt_3']);
      expect((await h.storage.agents.list({ limit: 1, offset: 2 })).map((x) => x.id)).toEqual(['agt_3']);
    });

    it('ID-2 suspended_by round-trips; a suspended row without one reads as an administrator\'s, an active row as none', async () => {
      await h.storage.agents.create(agent());
      await h.storage.agents.update(agent({ status: 'suspended', suspendedBy: 'admin' }));
      expect((await h.storage.agents.get('agt_1'))?.suspendedBy).toBe('admin');
      await h.storage.agents.update(agent({ status: 'suspended', suspendedBy: null }));
      expect((await h.storage.agents.get('agt_1'))?.suspendedBy).toBe('admin');
      expect((await h.storage.agents.list({}))[0]?.suspendedBy).toBe('admin');
      await h.storage.agents.update(agent({ status: 'active', suspendedBy: 'owner' }));
      expect((await h.storage.agents.get('agt_1'))?.suspendedBy).toBeNull();
    });

    it('refuses a duplicate id and a client already bound to another agent, writing nothing', async () => {
      await h.storage.agents.create(agent());
      await expect(h.storage.agents.create(agent({ clientId: null }))).rejects.toThrow();
      await expect(h.storage.agents.create(agent({ id: 'agt_dup' }))).rejects.toThrow();
      expect(await h.storage.agents.get('agt_dup')).toBeNull();
    });
  });

  describe('RFC 7009 §2.1 revoking by agent and by user revokes the grant trees', () => {
    async function seed(): Promise<void> {
      await h.storage.agents.create(agent());
      const grants: [string, string | null, string | null, string][] = [
        ['grt_agent', 'agt_1', null, 'usr_alice'],
        ['grt_agent_child', null, 'grt_agent', 'usr_alice'],
        ['grt_plain', null, null, 'usr_alice'],
        ['grt_bob', 'agt_other', null, 'usr_bob'],
      ];
      for (const [id, agentId, parent, userId] of grants) {
        await h.storage.grants.create(grant({ id, agentId, parentGrantId: parent, userId }));
        await h.storage.refreshTokens.create(refreshToken({ tokenHash: `rt-${id}`, id: `rt_${id}`, grantId: id, userId }));
        await h.storage.accessTokens.create(accessToken({ jti: `at-${id}`, grantId: id, userId }));
      }
      // The agent's own client_credentials token (no grant), and another client's.
      await h.storage.accessTokens.create(accessToken({ jti: 'at-cc-agent', grantId: null, userId: null, clientId: 'agent-client' }));
      await h.storage.accessTokens.create(accessToken({ jti: 'at-cc-other', grantId: null, userId: null, clientId: 'client-1' }));
    }

    it('grants.list filters by agent', async () => {
      await seed();
      expect((await h.storage.grants.list({ agentId: 'agt_1' })).map((g) => g.id)).toEqual(['grt_agent']);
    });

    it('revokeByAgent revokes the agent grants, their descendants, all their tokens and the agent client tokens', async () => {
      await seed();
      expect((await h.storage.grants.revokeByAgent('agt_1', 950, 'agent_suspended')).sort()).toEqual(['grt_agent', 'grt_agent_child']);
      expect((await h.storage.refreshTokens.get('rt-grt_agent_child'))?.revokedAt).toBe(950);
      expect((await h.storage.accessTokens.get('at-grt_agent_child'))?.revokedAt).toBe(950);
      expect((await h.storage.accessTokens.get('at-cc-agent'))?.revokedAt).toBe(950);
      expect((await h.storage.accessTokens.get('at-cc-other'))?.revokedAt).toBeNull();
      expect((await h.storage.grants.get('grt_plain'))?.revokedAt).toBeNull();
      expect((await h.storage.grants.get('grt_bob'))?.revokedAt).toBeNull();
      expect(await h.storage.grants.revokeByAgent('agt_none', 950, 'x')).toEqual([]);
    });

    it('revokeByUser revokes every grant of the user with their trees, nobody else', async () => {
      await seed();
      await h.storage.grants.create(grant({ id: 'grt_bob_child_of_alice', userId: 'usr_bob', parentGrantId: 'grt_plain' }));
      const revoked = await h.storage.grants.revokeByUser('usr_alice', 960, 'user_disabled');
      expect(revoked.sort()).toEqual(['grt_agent', 'grt_agent_child', 'grt_bob_child_of_alice', 'grt_plain']);
      expect((await h.storage.grants.get('grt_bob'))?.revokedAt).toBeNull();
      expect((await h.storage.accessTokens.get('at-grt_plain'))?.revokedAt).toBe(960);
      expect((await h.storage.accessTokens.get('at-cc-agent'))?.revokedAt).toBeNull();
    });
  });

  describe('CO-1 every revocation path appends to the feed in its transaction', () => {
    it('revokeTree: one event per unexpired access token, one per newly revoked grant lasting as long as its tokens', async () => {
      await h.storage.grants.create(grant({ id: 'grt_root' }));
      await h.storage.grants.create(grant({ id: 'grt_child', parentGrantId: 'grt_root' }));
      await h.storage.accessTokens.create(accessToken({ jti: 'at-live', grantId: 'grt_child', expiresAt: 2000 }));
      await h.storage.accessTokens.create(accessToken({ jti: 'at-later', grantId: 'grt_child', expiresAt: 2500 }));
      await h.storage.accessTokens.create(accessToken({ jti: 'at-dead', grantId: 'grt_root', expiresAt: 500 }));
      await h.storage.grants.revokeTree('grt_root', 1000, 'admin');
      const events = await feed(h);
      expect(events.filter((e) => e.jti !== null).sort((a, b) => a.expiresAt - b.expiresAt)).toEqual([
        { jti: 'at-live', grantId: null, expiresAt: 2000, reason: 'admin' },
        { jti: 'at-later', grantId: null, expiresAt: 2500, reason: 'admin' },
      ]);
      expect(events.filter((e) => e.grantId !== null).sort((a, b) => a.expiresAt - b.expiresAt)).toEqual([
        { jti: null, grantId: 'grt_root', expiresAt: 1000, reason: 'admin' },
        { jti: null, grantId: 'grt_child', expiresAt: 2500, reason: 'admin' },
      ]);
      await h.storage.grants.revokeTree('grt_root', 1100, 'again');
      expect(await feed(h)).toHaveLength(4);
    });

    it('consents.revokeWithGrants, revokeByAgent, revokeByUser and accessTokens.revoke append their events', async () => {
      await h.storage.consents.create(consent());
      await h.storage.agents.create(agent());
      await h.storage.grants.create(grant({ id: 'grt_c', consentId: 'cns_1' }));
      await h.storage.grants.create(grant({ id: 'grt_a', agentId: 'agt_1' }));
      await h.storage.grants.create(grant({ id: 'grt_u', userId: 'usr_bob' }));
      await h.storage.accessTokens.create(accessToken({ jti: 'at-cc', grantId: null, clientId: 'agent-client', expiresAt: 3000 }));
      await h.storage.accessTokens.create(accessToken({ jti: 'at-single', grantId: null, expiresAt: 4000 }));
      await h.storage.consents.revokeWithGrants('cns_1', 1000, 'consent_revoked');
      await h.storage.grants.revokeByAgent('agt_1', 1001, 'agent_suspended');
      await h.storage.grants.revokeByUser('usr_bob', 1002, 'user_disabled');
      expect(await h.storage.accessTokens.revoke('at-single', 1003)).toBe(true);
      expect(await h.storage.accessTokens.revoke('at-single', 1004)).toBe(false);
      expect(await h.storage.accessTokens.revoke('at-none', 1004)).toBe(false);
      expect(await feed(h)).toEqual([
        { jti: null, grantId: 'grt_c', expiresAt: 1000, reason: 'consent_revoked' },
        { jti: 'at-cc', grantId: null, expiresAt: 3000, reason: 'agent_suspended' },
        { jti: null, grantId: 'grt_a', expiresAt: 1001, reason: 'agent_suspended' },
        { jti: null, grantId: 'grt_u', expiresAt: 1002, reason: 'user_disabled' },
        { jti: 'at-single', grantId: null, expiresAt: 4000, reason: 'token_revoked' },
      ]);
    });

    it('a rolled-back revocation leaves no event behind', async () => {
      await h.storage.grants.create(grant());
      await h.storage.accessTokens.create(accessToken({ grantId: null }));
      const failure = new Error('boom');
      await expect(
        h.storage.transaction(async (tx) => {
          await tx.grants.revokeTree('grt_root', 10, 'x');
          await tx.accessTokens.revoke('at_1', 10, 'y');
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(await feed(h)).toEqual([]);
      expect((await h.storage.accessTokens.get('at_1'))?.revokedAt).toBeNull();
    });
  });

  describe('CO-1 reading the feed', () => {
    it('append assigns increasing seq; list pages after a seq and leaves expired events out when given now', async () => {
      await h.storage.revocations.append([
        { jti: 'j1', grantId: null, expiresAt: 100, revokedAt: 10, reason: 'a' },
        { jti: null, grantId: 'g1', expiresAt: 300, revokedAt: 10, reason: 'b' },
      ]);
      await h.storage.revocations.append([{ jti: 'j2', grantId: null, expiresAt: 200, revokedAt: 20, reason: 'c' }]);
      await h.storage.revocations.append([]);
      const all = await h.storage.revocations.list({});
      expect(all.map((e) => e.jti ?? e.grantId)).toEqual(['j1', 'g1', 'j2']);
      const seqs = all.map((e) => e.seq);
      expect(seqs[0]! < seqs[1]! && seqs[1]! < seqs[2]!).toBe(true);
      expect(all[0]).toEqual({ seq: seqs[0], jti: 'j1', grantId: null, expiresAt: 100, revokedAt: 10, reason: 'a' });
      expect((await h.storage.revocations.list({ afterSeq: seqs[0]! })).map((e) => e.seq)).toEqual([seqs[1], seqs[2]]);
      expect((await h.storage.revocations.list({ afterSeq: seqs[0]!, limit: 1 })).map((e) => e.seq)).toEqual([seqs[1]]);
      expect((await h.storage.revocations.list({ expiresAfter: 150 })).map((e) => e.jti ?? e.grantId)).toEqual(['g1', 'j2']);
      expect(await h.storage.revocations.list({ expiresAfter: 300 })).toEqual([]);
      expect(await h.storage.revocations.list({ afterSeq: seqs[2]! })).toEqual([]);
    });
  });
});

describe('storage contract (postgres): the feed is read in commit order', () => {
  const h = useStorage('postgres');

  it('an append waits for an open transaction that appended first, so a reader never skips a smaller seq', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let appended!: () => void;
    const firstAppended = new Promise<void>((resolve) => (appended = resolve));
    const first = h.storage.transaction(async (tx) => {
      await tx.revocations.append([{ jti: 'first', grantId: null, expiresAt: 100, revokedAt: 1, reason: 'a' }]);
      appended();
      await gate;
    });
    await firstAppended;
    const second = h.storage.revocations.append([{ jti: 'second', grantId: null, expiresAt: 100, revokedAt: 1, reason: 'b' }]);
    // Give the second append every chance to commit: were it not held back, a reader would see
    // seq 2 while seq 1 is still uncommitted, and a cursor at 2 would skip seq 1 for ever.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await h.storage.revocations.list({})).toEqual([]);
    release();
    await Promise.all([first, second]);
    expect((await h.storage.revocations.list({})).map((e) => e.jti)).toEqual(['first', 'second']);
  });
});
