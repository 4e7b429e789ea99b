/**
 * Migration 0016 (CO-1: every token records the grant it came from), on both backends: ID tokens
 * recorded with their grant (idTokens), the subject token a grant was exchanged from
 * (grants.subjectTokenJti), and RFC 7009 revocation of one access token taking the trees of the
 * grants exchanged from it, with their revocation events (accessTokens.revokeWithDerived / revoke).
 */
import { describe, expect, it } from 'vitest';
import { BACKENDS, accessToken, grant, refreshToken, useStorage, type StorageHandle } from './fixtures.ts';

const AT = 1_700_000_100;

/**
 * grt_root holds at-subject and at-sibling; grt_child was exchanged from at-subject, grt_grandchild
 * from grt_child's token; grt_other from at-sibling. Each derived grant has a refresh and an access token.
 */
async function seedExchanges(h: StorageHandle): Promise<void> {
  await h.storage.grants.create(grant());
  await h.storage.accessTokens.create(accessToken({ jti: 'at-subject' }));
  await h.storage.accessTokens.create(accessToken({ jti: 'at-sibling' }));
  const derived: [string, string, string][] = [
    ['grt_child', 'grt_root', 'at-subject'],
    ['grt_grandchild', 'grt_child', 'at-grt_child'],
    ['grt_other', 'grt_root', 'at-sibling'],
  ];
  for (const [id, parent, subject] of derived) {
    await h.storage.grants.create(grant({ id, parentGrantId: parent, subjectTokenJti: subject }));
    await h.storage.refreshTokens.create(refreshToken({ tokenHash: `rt-${id}`, id: `rt_${id}`, grantId: id }));
    await h.storage.accessTokens.create(accessToken({ jti: `at-${id}`, grantId: id }));
  }
}

describe.each(BACKENDS)('storage contract (%s): token lineage (migration 0016)', (backend) => {
  const h = useStorage(backend);

  it('CO-1: an ID token record round-trips by jti; purgeExpired deletes expired rows in chunks, oldest first', async () => {
    const record = { jti: 'idt_1', grantId: 'grt_root', clientId: 'client-1', userId: 'usr_alice', expiresAt: 1_700_000_600, createdAt: 1_700_000_000 };
    await h.storage.idTokens.create(record);
    await h.storage.idTokens.create({ ...record, jti: 'idt_2', expiresAt: 1_700_000_700 });
    await h.storage.idTokens.create({ ...record, jti: 'idt_3', expiresAt: 1_700_000_800 });
    expect(await h.storage.idTokens.get('idt_1')).toEqual(record);
    expect(await h.storage.idTokens.get('idt_none')).toBeNull();
    expect(await h.storage.idTokens.purgeExpired(1_700_000_800, 1)).toBe(1);
    expect(await h.storage.idTokens.get('idt_1')).toBeNull();
    expect(await h.storage.idTokens.purgeExpired(1_700_000_800, 10)).toBe(1); // idt_3 expires exactly then: kept
    expect(await h.storage.idTokens.get('idt_3')).not.toBeNull();
  });

  it('RFC 8693 §2.1: a grant records the subject token it was exchanged from, and reads back exactly as written', async () => {
    const exchanged = grant({ id: 'grt_x', parentGrantId: 'grt_root', subjectTokenJti: 'at-subject' });
    await h.storage.grants.create(exchanged);
    await h.storage.grants.create(grant());
    expect(await h.storage.grants.get('grt_x')).toEqual(exchanged);
    expect(await h.storage.grants.get('grt_root')).toEqual(grant()); // no subjectTokenJti key on other grants
  });

  it('RFC 7009 §2.1 / CO-1: revoking one access token revokes the grants exchanged from it, their subtrees and tokens, and publishes them', async () => {
    await seedExchanges(h);
    expect(await h.storage.accessTokens.revokeWithDerived('at-subject', AT)).toEqual({ revoked: true, revokedGrants: expect.arrayContaining(['grt_child', 'grt_grandchild']) });
    for (const id of ['grt_child', 'grt_grandchild']) {
      expect(await h.storage.grants.get(id)).toMatchObject({ revokedAt: AT, revokedReason: 'token_revoked' });
      expect((await h.storage.refreshTokens.get(`rt-${id}`))?.revokedAt).toBe(AT);
      expect((await h.storage.accessTokens.get(`at-${id}`))?.revokedAt).toBe(AT);
    }
    // Only that token: its own grant, the sibling token and what was exchanged from it stay live.
    expect((await h.storage.grants.get('grt_root'))?.revokedAt).toBeNull();
    expect((await h.storage.accessTokens.get('at-sibling'))?.revokedAt).toBeNull();
    expect((await h.storage.grants.get('grt_other'))?.revokedAt).toBeNull();
    const events = await h.storage.revocations.list({});
    expect(events.filter((e) => e.jti !== null).map((e) => e.jti).sort()).toEqual(['at-grt_child', 'at-grt_grandchild', 'at-subject']);
    expect(events.filter((e) => e.grantId !== null).map((e) => e.grantId).sort()).toEqual(['grt_child', 'grt_grandchild']);
  });

  it('RFC 7009 §2.2: revoke answers whether the token itself changed, and walks the derived grants even when it was already revoked', async () => {
    await seedExchanges(h);
    await h.raw("update access_tokens set revoked_at = 50 where jti = 'at-subject'"); // revoked before its exchange committed
    expect(await h.storage.accessTokens.revoke('at-subject', AT, 'revoked_by_client')).toBe(false);
    expect(await h.storage.grants.get('grt_child')).toMatchObject({ revokedAt: AT, revokedReason: 'revoked_by_client' });
    expect(await h.storage.accessTokens.revokeWithDerived('at-subject', AT + 1)).toEqual({ revoked: false, revokedGrants: [] });
    expect(await h.storage.accessTokens.revoke('at-none', AT)).toBe(false);
  });

  it('getForShare reads the token inside a transaction (locked on PostgreSQL), null when absent', async () => {
    await h.storage.accessTokens.create(accessToken());
    await h.storage.transaction(async (tx) => {
      expect(await tx.accessTokens.getForShare('at_1')).toEqual(accessToken());
      expect(await tx.accessTokens.getForShare('at_none')).toBeNull();
    });
  });
});
