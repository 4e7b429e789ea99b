/**
 * PostgreSQL lock order (READ COMMITTED; SQLite serialises whole transactions): every issuance
 * takes agent (`for share`) → grant ancestry (`for share`) → token rows; every revocation must take
 * its locks in that order too, or the two deadlock (SQLSTATE 40P01).
 *   - ID-2 deprovisioning (account/deprovision.ts) revokes several trees in one transaction: it
 *     locks the user's agents, then every tree, up front (grants.lockUserTrees).
 *   - CO-1 session revocation (sessions.revokeWithGrants) locks the session row first, so an
 *     authorization completing under it (sessions.getForShare) is waited for and its grant revoked.
 */
import { describe, expect, it } from 'vitest';
import { deprovisionUser } from '../../src/account/deprovision.ts';
import type { Storage } from '../../src/storage/storage.ts';
import { agent, BACKENDS, grant, session, useStorage, user } from './fixtures.ts';
import { waitForLockWaiters } from './lock-wait.ts';

const AT = 1_700_000_100;
const LATER = 1_800_000_000;

function deprovision(storage: Storage) {
  return storage.transaction(async (tx) => {
    const alice = await tx.users.get('usr_alice');
    return deprovisionUser({ storage: tx, now: () => AT }, alice!, 'disabled');
  });
}

for (const backend of BACKENDS) {
  describe(`grants.lockUserTrees / sessions.getForShare (${backend})`, () => {
    const h = useStorage(backend);

    it('ID-2: lockUserTrees runs in a transaction and changes nothing; deprovisioning still revokes every tree', async () => {
      await h.storage.users.create(user());
      await h.storage.agents.create(agent({ id: 'agt_1', clientId: null }));
      await h.storage.grants.create(grant({ id: 'grt_1', agentId: 'agt_1', userId: 'usr_bob' }));
      await h.storage.grants.create(grant({ id: 'grt_2', parentGrantId: 'grt_1', userId: 'usr_bob' }));
      await h.storage.grants.create(grant({ id: 'grt_3' }));
      await h.storage.grants.create(grant({ id: 'grt_other', userId: 'usr_bob' }));
      await h.storage.transaction((tx) => tx.grants.lockUserTrees('usr_alice', AT));
      expect((await h.storage.grants.get('grt_1'))?.revokedAt).toBeNull();
      const done = await deprovision(h.storage);
      expect([...done.revokedGrants].sort()).toEqual(['grt_1', 'grt_2', 'grt_3']);
      expect((await h.storage.grants.get('grt_other'))?.revokedAt).toBeNull();
    });

    it('CO-1: sessions.getForShare reads the session, revoked or not', async () => {
      await h.storage.sessions.create(session('s1', LATER));
      expect((await h.storage.transaction((tx) => tx.sessions.getForShare('s1')))?.revokedAt).toBeNull();
      await h.storage.sessions.revoke('s1', AT);
      expect((await h.storage.transaction((tx) => tx.sessions.getForShare('s1')))?.revokedAt).toBe(AT);
      expect(await h.storage.sessions.getForShare('missing')).toBeNull();
    });
  });
}

describe('revocations racing issuance: lock order (postgres)', () => {
  const h = useStorage('postgres');

  it('ID-2: deprovisioning racing an exchange by one of the user\'s agents of another\'s token — no deadlock, the new grant revoked', async () => {
    await h.storage.users.create(user());
    // agt_1 is suspended first (older): without the up-front locks, deprovisioning would lock
    // grt_1 (agt_1's) and then wait for agt_2, which the exchange holds while it waits for grt_1.
    await h.storage.agents.create(agent({ id: 'agt_1', clientId: null, createdAt: 1_700_000_000 }));
    await h.storage.agents.create(agent({ id: 'agt_2', clientId: null, createdAt: 1_700_000_001 }));
    await h.storage.grants.create(grant({ id: 'grt_1', agentId: 'agt_1' }));
    let deprovisioning: ReturnType<typeof deprovision> | undefined;
    await h.storage.transaction(async (tx) => {
      // token-exchange/issue.ts: the acting agent first, then the subject's grant ancestry.
      expect((await tx.agents.getForShare('agt_2'))?.status).toBe('active');
      deprovisioning = deprovision(h.storage);
      await waitForLockWaiters(h); // deprovisioning waits for agt_2
      expect((await tx.grants.lockAncestry('grt_1')).map((g) => g.revokedAt)).toEqual([null]);
      await tx.grants.create(grant({ id: 'grt_1_x', parentGrantId: 'grt_1', agentId: 'agt_2' }));
    });
    const done = await deprovisioning!;
    expect([...done.revokedGrants].sort()).toEqual(['grt_1', 'grt_1_x']);
    expect(done.suspendedAgents.sort()).toEqual(['agt_1', 'agt_2']);
  });

  it('CO-1: a session revocation waits for an authorization completing under the session, then revokes its grant', async () => {
    await h.storage.sessions.create(session('s1', LATER));
    let revocation: Promise<{ ended: boolean; revokedGrants: string[] }> | undefined;
    let done = false;
    await h.storage.transaction(async (tx) => {
      expect((await tx.sessions.getForShare('s1'))?.revokedAt).toBeNull();
      revocation = h.storage.sessions.revokeWithGrants('s1', AT, 'signed out').finally(() => (done = true));
      await waitForLockWaiters(h); // the revocation waits for the share lock
      expect(done).toBe(false); // held by the share lock
      await tx.grants.create(grant({ id: 'grt_s1', sessionIdHash: 's1' }));
    });
    expect(await revocation).toEqual({ ended: true, revokedGrants: ['grt_s1'] });
  });

  it('CO-1: revoking an already-ended session still locks it first: a grant being written under it is covered', async () => {
    await h.storage.sessions.create(session('s1', LATER));
    await h.storage.sessions.revoke('s1', AT - 1); // replaced by a new login; its grants live on
    let revocation: Promise<{ ended: boolean; revokedGrants: string[] }> | undefined;
    let done = false;
    await h.storage.transaction(async (tx) => {
      await tx.sessions.getForShare('s1');
      revocation = h.storage.sessions.revokeWithGrants('s1', AT, 'revoked').finally(() => (done = true));
      await waitForLockWaiters(h); // the revocation waits for the share lock
      expect(done).toBe(false);
      await tx.grants.create(grant({ id: 'grt_late', sessionIdHash: 's1' }));
    });
    expect(await revocation).toEqual({ ended: false, revokedGrants: ['grt_late'] });
  });
});
