/**
 * CO-1 (issue 2: consents revocable; RFC 7009 §2.1): consents.revokeWithGrants marks the consent
 * revoked and revokes, in one transaction, every grant resting on it with their trees (derived
 * grants, refresh and access tokens, revocation events). Both backends; on PostgreSQL also the
 * race with an issuance holding the consent `for share` (authorize/complete.ts), which only the
 * consent-first order covers.
 */
import { describe, expect, it } from 'vitest';
import { BACKENDS, accessToken, consent, grant, refreshToken, useStorage } from './fixtures.ts';
import { waitForLockWaiters } from './lock-wait.ts';

const LATER = 1_800_000_000;
const AT = 900;

describe.each(BACKENDS)('storage contract (%s): CO-1 consent revocation', (backend) => {
  const h = useStorage(backend);

  /** cns_1 ─ grt_a ─ grt_a_child (exchanged: no consent of its own); cns_2 ─ grt_other. */
  async function seed(): Promise<void> {
    await h.storage.consents.create(consent({ id: 'cns_1' }));
    await h.storage.consents.create(consent({ id: 'cns_2' }));
    const tree: [string, string | null, string | null][] = [
      ['grt_a', null, 'cns_1'],
      ['grt_a_child', 'grt_a', null],
      ['grt_other', null, 'cns_2'],
    ];
    for (const [id, parent, consentId] of tree) {
      await h.storage.grants.create(grant({ id, parentGrantId: parent, consentId }));
      await h.storage.refreshTokens.create(refreshToken({ tokenHash: `rt-${id}`, id: `rt_${id}`, grantId: id }));
      await h.storage.accessTokens.create(accessToken({ jti: `at-${id}`, grantId: id, expiresAt: LATER }));
    }
  }

  it('CO-1 revokes the consent and the trees resting on it, derived grants and tokens included, nothing else', async () => {
    await seed();
    const result = await h.storage.consents.revokeWithGrants('cns_1', AT, 'consent revoked');
    expect(result.revoked).toBe(true);
    expect(result.revokedGrants.sort()).toEqual(['grt_a', 'grt_a_child']);
    expect((await h.storage.consents.get('cns_1'))?.revokedAt).toBe(AT);
    for (const id of ['grt_a', 'grt_a_child']) {
      expect(await h.storage.grants.get(id)).toMatchObject({ revokedAt: AT, revokedReason: 'consent revoked' });
      expect((await h.storage.accessTokens.get(`at-${id}`))?.revokedAt).toBe(AT);
      expect((await h.storage.refreshTokens.get(`rt-${id}`))?.revokedAt).toBe(AT);
    }
    expect((await h.storage.consents.get('cns_2'))?.revokedAt).toBeNull();
    expect((await h.storage.grants.get('grt_other'))?.revokedAt).toBeNull();
    expect((await h.storage.accessTokens.get('at-grt_other'))?.revokedAt).toBeNull();
    // The feed resource servers poll carries the revocation (CO-1).
    const events = await h.storage.revocations.list({});
    expect(events.filter((e) => e.grantId !== null).map((e) => e.grantId).sort()).toEqual(['grt_a', 'grt_a_child']);
    expect(events.filter((e) => e.jti !== null).map((e) => e.jti).sort()).toEqual(['at-grt_a', 'at-grt_a_child']);
  });

  it('a second call is idempotent: the first time and reason stand, nothing more is revoked or announced', async () => {
    await seed();
    await h.storage.consents.revokeWithGrants('cns_1', AT, 'first');
    const events = (await h.storage.revocations.list({})).length;
    expect(await h.storage.consents.revokeWithGrants('cns_1', AT + 100, 'second')).toEqual({ revoked: false, revokedGrants: [] });
    expect((await h.storage.consents.get('cns_1'))?.revokedAt).toBe(AT);
    expect(await h.storage.grants.get('grt_a_child')).toMatchObject({ revokedAt: AT, revokedReason: 'first' });
    expect(await h.storage.revocations.list({})).toHaveLength(events);
  });

  it('an already-revoked consent still has a grant that raced its revocation revoked; unknown consents revoke nothing', async () => {
    await seed();
    expect(await h.storage.consents.revoke('cns_1', 800)).toBe(true);
    expect(await h.storage.consents.revokeWithGrants('cns_1', AT, 'x')).toEqual({ revoked: false, revokedGrants: expect.arrayContaining(['grt_a', 'grt_a_child']) });
    expect((await h.storage.consents.get('cns_1'))?.revokedAt).toBe(800);
    expect(await h.storage.consents.revokeWithGrants('cns_none', AT, 'x')).toEqual({ revoked: false, revokedGrants: [] });
  });

  it('is all or nothing: a failure after it, in the caller\'s transaction, leaves the consent and its grants live', async () => {
    await seed();
    await expect(
      h.storage.transaction(async (tx) => {
        await tx.consents.revokeWithGrants('cns_1', AT, 'x');
        throw new Error('audit failed');
      }),
    ).rejects.toThrow('audit failed');
    expect((await h.storage.consents.get('cns_1'))?.revokedAt).toBeNull();
    expect((await h.storage.grants.get('grt_a_child'))?.revokedAt).toBeNull();
    expect((await h.storage.accessTokens.get('at-grt_a'))?.revokedAt).toBeNull();
    expect(await h.storage.revocations.list({})).toEqual([]);
  });
});

describe('consent revocation racing an issuance on the consent (postgres)', () => {
  const h = useStorage('postgres');

  it('CO-1: revokeWithGrants waits for the issuer holding the consent, then covers the grant it wrote', async () => {
    await h.storage.consents.create(consent({ id: 'cns_1' }));
    let revocation: Promise<{ revoked: boolean; revokedGrants: string[] }> | undefined;
    let done = false;
    await h.storage.transaction(async (tx) => {
      expect((await tx.consents.getForShare('cns_1'))?.revokedAt).toBeNull();
      revocation = h.storage.consents.revokeWithGrants('cns_1', AT, 'consent revoked').finally(() => (done = true));
      await waitForLockWaiters(h);
      expect(done).toBe(false); // the consent update waits for the share lock
      await tx.grants.create(grant({ id: 'grt_c', consentId: 'cns_1' }));
      await tx.accessTokens.create(accessToken({ jti: 'at-c', grantId: 'grt_c', expiresAt: LATER }));
    });
    expect(await revocation).toEqual({ revoked: true, revokedGrants: ['grt_c'] });
    expect((await h.storage.accessTokens.get('at-c'))?.revokedAt).toBe(AT);
  });
});
