/**
 * Migration 0016 (CO-1: every token records the grant it came from), on both backends: ID tokens
 * recorded with their grant (idTokens), the subject token a grant was exchanged from
 * (grants.subjectTokenJti), and RFC 7009 revocation of one access token taking the trees of the
 * grants exchanged from it, with their revocation events (accessTokens.revokeWithDerived / revoke).
 */
import { describe, expect, it } from 'vitest';
import type { AuditEventInput } from '../../src/storage/records.ts';
import { BACKENDS, accessToken, agent, grant, refreshToken, useStorage, type StorageHandle } from './fixtures.ts';
import { holdTransaction, waitForLockWaiters } from './lock-wait.ts';

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

/**
 * Grant-less tokens of client `svc` (client_credentials): at-cc exchanged into grt_cc (no parent
 * grant, another client's), which grt_cc2 hangs off; at-keep, of another client, into grt_keep.
 */
async function seedGrantlessExchanges(h: StorageHandle): Promise<void> {
  await h.storage.accessTokens.create(accessToken({ jti: 'at-cc', grantId: null, clientId: 'svc', userId: null }));
  await h.storage.accessTokens.create(accessToken({ jti: 'at-keep', grantId: null, clientId: 'other', userId: null }));
  const derived: [string, string | null, string][] = [
    ['grt_cc', null, 'at-cc'],
    ['grt_cc2', 'grt_cc', 'at-grt_cc'],
    ['grt_keep', null, 'at-keep'],
  ];
  for (const [id, parent, subject] of derived) {
    await h.storage.grants.create(grant({ id, parentGrantId: parent, subjectTokenJti: subject, clientId: 'client-2', userId: null }));
    await h.storage.refreshTokens.create(refreshToken({ tokenHash: `rt-${id}`, id: `rt_${id}`, grantId: id }));
    await h.storage.accessTokens.create(accessToken({ jti: `at-${id}`, grantId: id, clientId: 'client-2' }));
  }
}

/** What the bulk revocation of at-cc must have revoked and published, and left alone. */
async function expectGrantlessTreesRevoked(h: StorageHandle, reason: string): Promise<void> {
  for (const id of ['grt_cc', 'grt_cc2']) {
    expect(await h.storage.grants.get(id)).toMatchObject({ revokedAt: AT, revokedReason: reason });
    expect((await h.storage.refreshTokens.get(`rt-${id}`))?.revokedAt).toBe(AT);
    expect((await h.storage.accessTokens.get(`at-${id}`))?.revokedAt).toBe(AT);
  }
  for (const jti of ['at-keep', 'at-grt_keep']) expect((await h.storage.accessTokens.get(jti))?.revokedAt).toBeNull();
  expect((await h.storage.grants.get('grt_keep'))?.revokedAt).toBeNull();
  const events = await h.storage.revocations.list({});
  expect(events.filter((e) => e.jti !== null).map((e) => e.jti).sort()).toEqual(['at-cc', 'at-grt_cc', 'at-grt_cc2']);
  expect(events.filter((e) => e.grantId !== null).map((e) => e.grantId).sort()).toEqual(['grt_cc', 'grt_cc2']);
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

  it('CO-1: revokeGrantlessByClient (client deletion) also revokes the trees exchanged from those tokens, their refresh tokens, with events', async () => {
    await seedGrantlessExchanges(h);
    expect(await h.storage.accessTokens.revokeGrantlessByClient('svc', AT, 'client deleted')).toBe(1);
    await expectGrantlessTreesRevoked(h, 'client deleted');
  });

  it('CO-1: revokeByAgent (suspension) also revokes the trees exchanged from the agent client\'s grant-less tokens, with events', async () => {
    await h.storage.agents.create(agent({ clientId: 'svc' }));
    await seedGrantlessExchanges(h);
    expect((await h.storage.grants.revokeByAgent('agt_1', AT, 'agent suspended')).sort()).toEqual(['grt_cc', 'grt_cc2']);
    await expectGrantlessTreesRevoked(h, 'agent suspended');
  });

  it('getForShare reads the token inside a transaction (locked on PostgreSQL), null when absent', async () => {
    await h.storage.accessTokens.create(accessToken());
    await h.storage.transaction(async (tx) => {
      expect(await tx.accessTokens.getForShare('at_1')).toEqual(accessToken());
      expect(await tx.accessTokens.getForShare('at_none')).toBeNull();
    });
  });
});

/** A refresh's audit event (grants/refresh-token/rotate.ts): after its grant ancestry, under the audit lock. */
const REFRESHED: AuditEventInput = { event: 'token_refreshed', userId: 'usr_alice', clientId: 'client-1', result: 'success', data: { grant_id: 'grt_x' } };

describe('accessTokens.revokeWithDerived racing exchanges and a refresh: lock order (postgres)', () => {
  const h = useStorage('postgres');

  it('CO-1: the token\'s grant first, events last — a grant exchanged meanwhile and refreshed at once is revoked, no deadlock', async () => {
    await h.storage.grants.create(grant());
    await h.storage.accessTokens.create(accessToken({ jti: 'at-subject' }));
    // H: a second exchange of at-subject (token-exchange/issue.ts: grant ancestry, then the subject
    // token, `for share`), still open while E commits its grant exchanged from at-subject.
    const second = holdTransaction(h, async (tx) => {
      await tx.grants.lockAncestry('grt_root');
      await tx.accessTokens.getForShare('at-subject');
    });
    await second.ready;
    let revocation: Promise<{ revoked: boolean; revokedGrants: string[] }> | undefined;
    await h.storage.transaction(async (tx) => {
      await tx.grants.lockAncestry('grt_root');
      await tx.accessTokens.getForShare('at-subject');
      await tx.grants.create(grant({ id: 'grt_x', parentGrantId: 'grt_root', subjectTokenJti: 'at-subject' }));
      await tx.accessTokens.create(accessToken({ jti: 'at-grt_x', grantId: 'grt_x' }));
      revocation = h.storage.accessTokens.revokeWithDerived('at-subject', AT);
      revocation.catch(() => undefined); // awaited below, after R: its failure (40P01) is reported there
      await waitForLockWaiters(h); // the revocation waits for E (and H)
    });
    // R: a refresh of grt_x, the grant E just committed: its ancestry `for share`, then its audit
    // event. The revocation, no longer held by E, is held by H until H ends; it then revokes at-subject
    // and the grants exchanged from it. Had it appended its event (the audit lock) before locking
    // grt_x, it would now hold that lock and wait for grt_x while R waits for the lock (40P01).
    await h.storage.transaction(async (tx) => {
      await tx.grants.lockAncestry('grt_x');
      second.release();
      await second.done;
      await waitForLockWaiters(h); // the revocation waits for R (grt_x's ancestry)
      await tx.audit.append(REFRESHED, AT);
    });
    expect(await revocation).toEqual({ revoked: true, revokedGrants: ['grt_x'] });
    expect((await h.storage.accessTokens.get('at-grt_x'))?.revokedAt).toBe(AT);
    const events = await h.storage.revocations.list({});
    expect(events.map((e) => e.jti ?? e.grantId).sort()).toEqual(['at-grt_x', 'at-subject', 'grt_x']);
  });

  it('CO-1: racing revokeTree of the token\'s own grant, with a grant exchanged meanwhile — both complete, everything revoked, no deadlock', async () => {
    await h.storage.grants.create(grant());
    await h.storage.accessTokens.create(accessToken({ jti: 'at-subject' }));
    // H holds at-subject `for share` (an exchange's re-read), alone: when H ends, the revocation of
    // at-subject, first in line for the row, gets it ahead of revokeTree(grt_root).
    const holder = holdTransaction(h, async (tx) => {
      await tx.accessTokens.getForShare('at-subject');
    });
    await holder.ready;
    let revocation: Promise<{ revoked: boolean; revokedGrants: string[] }> | undefined;
    let tree: Promise<string[]> | undefined;
    // E: an exchange of at-subject writing grt_x, open while both revocations start.
    await h.storage.transaction(async (tx) => {
      await tx.grants.lockAncestry('grt_root');
      await tx.accessTokens.getForShare('at-subject');
      await tx.grants.create(grant({ id: 'grt_x', parentGrantId: 'grt_root', subjectTokenJti: 'at-subject' }));
      await tx.accessTokens.create(accessToken({ jti: 'at-grt_x', grantId: 'grt_x' }));
      revocation = h.storage.accessTokens.revokeWithDerived('at-subject', AT);
      revocation.catch(() => undefined); // awaited below
      await waitForLockWaiters(h); // the revocation waits for E
      tree = h.storage.grants.revokeTree('grt_root', AT, 'revoked by an administrator');
      tree.catch(() => undefined);
      await waitForLockWaiters(h, 2); // and so does revokeTree
    });
    // E committed: revokeTree walks grt_root's tree (grt_x now in it) to its token rows and waits
    // for at-subject. Had the revocation of at-subject not locked grt_root first, it would take
    // at-subject when H ends and then wait for grt_x, which revokeTree holds (40P01).
    await waitForLockWaiters(h, 2);
    holder.release();
    await holder.done;
    const revoked = [...(await revocation)!.revokedGrants, ...(await tree)!].sort();
    expect(revoked).toEqual(['grt_root', 'grt_x']);
    for (const jti of ['at-subject', 'at-grt_x']) expect((await h.storage.accessTokens.get(jti))?.revokedAt).toBe(AT);
  });
});
