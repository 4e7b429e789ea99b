/**
 * CO-1 (RFC 7009 §2.1): an issuing transaction re-reads its grant and every ancestor
 * (grants.lockAncestry) and its consent (consents.getForShare); a revocation racing it must
 * either be seen there or see what the transaction wrote. Both backends for the reads; the
 * lock interplay on PostgreSQL (READ COMMITTED), where the two really run concurrently.
 */
import { describe, expect, it } from 'vitest';
import { accessToken, BACKENDS, consent, grant, useStorage } from './fixtures.ts';
import { waitForLockWaiters } from './lock-wait.ts';

const AT = 1_700_000_100;

for (const backend of BACKENDS) {
  describe(`grants.lockAncestry / consents.getForShare (${backend})`, () => {
    const h = useStorage(backend);

    it('returns the grant and all its ancestors in id order; nothing for an unknown grant', async () => {
      await h.storage.grants.create(grant({ id: 'grt_1' }));
      await h.storage.grants.create(grant({ id: 'grt_2', parentGrantId: 'grt_1' }));
      await h.storage.grants.create(grant({ id: 'grt_3', parentGrantId: 'grt_2' }));
      await h.storage.grants.create(grant({ id: 'grt_9', parentGrantId: 'grt_1' }));
      const ids = await h.storage.transaction(async (tx) => (await tx.grants.lockAncestry('grt_3')).map((g) => g.id));
      expect(ids).toEqual(['grt_1', 'grt_2', 'grt_3']);
      expect(await h.storage.grants.lockAncestry('grt_missing')).toEqual([]);
    });

    it('a revocation that committed first shows on the ancestor re-read', async () => {
      await h.storage.grants.create(grant({ id: 'grt_1' }));
      await h.storage.grants.create(grant({ id: 'grt_2', parentGrantId: 'grt_1' }));
      await h.storage.grants.revokeTree('grt_1', AT, 'revoked');
      const tree = await h.storage.transaction((tx) => tx.grants.lockAncestry('grt_2'));
      expect(tree.map((g) => g.revokedAt)).toEqual([AT, AT]);
    });

    it('consents.getForShare reads the consent, revoked or not', async () => {
      await h.storage.consents.create(consent({ id: 'cns_1' }));
      expect((await h.storage.transaction((tx) => tx.consents.getForShare('cns_1')))?.revokedAt).toBeNull();
      await h.storage.consents.revoke('cns_1', AT);
      expect((await h.storage.transaction((tx) => tx.consents.getForShare('cns_1')))?.revokedAt).toBe(AT);
      expect(await h.storage.consents.getForShare('cns_missing')).toBeNull();
    });
  });
}

describe('issuance racing a tree revocation (postgres)', () => {
  const h = useStorage('postgres');
  const pause = () => new Promise((resolve) => setTimeout(resolve, 200));

  it('RFC 7009 §2.1: revokeTree waits for the issuer holding the ancestors, then revokes the child and its token', async () => {
    await h.storage.grants.create(grant({ id: 'grt_1' }));
    await h.storage.grants.create(grant({ id: 'grt_2', parentGrantId: 'grt_1' }));
    let revocation: Promise<string[]> | undefined;
    let done = false;
    await h.storage.transaction(async (tx) => {
      expect((await tx.grants.lockAncestry('grt_2')).every((g) => g.revokedAt === null)).toBe(true);
      revocation = h.storage.grants.revokeTree('grt_1', AT, 'revoked').finally(() => (done = true));
      await waitForLockWaiters(h); // revokeTree waits for the share locks
      expect(done).toBe(false); // held by the share locks
      await tx.grants.create(grant({ id: 'grt_3', parentGrantId: 'grt_2' }));
      await tx.accessTokens.create(accessToken({ jti: 'jti_child', grantId: 'grt_3' }));
    });
    expect(await revocation).toEqual(['grt_1', 'grt_2', 'grt_3']);
    expect((await h.storage.accessTokens.get('jti_child'))?.revokedAt).toBe(AT);
  });

  it('an issuer re-reading while revokeTree holds the root waits, then reads the ancestors revoked', async () => {
    await h.storage.grants.create(grant({ id: 'grt_1' }));
    await h.storage.grants.create(grant({ id: 'grt_2', parentGrantId: 'grt_1' }));
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const revocation = h.storage.transaction(async (tx) => {
      const revoked = await tx.grants.revokeTree('grt_1', AT, 'revoked');
      await held; // the revocation stays uncommitted while the issuer reads
      return revoked;
    });
    await pause();
    const read = h.storage.transaction((tx) => tx.grants.lockAncestry('grt_2'));
    await waitForLockWaiters(h); // the issuer's re-read waits for the root
    release();
    await revocation;
    expect((await read).map((g) => g.revokedAt)).toEqual([AT, AT]);
  });
});
