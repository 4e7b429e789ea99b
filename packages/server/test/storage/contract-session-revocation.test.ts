/**
 * CO-1 (issue 3): "revoking a user's session revokes everything derived from it, downstream
 * exchanged tokens included" — sessions.revokeWithGrants on both backends (migration 0013).
 */
import { describe, expect, it } from 'vitest';
import { BACKENDS, accessToken, grant, refreshToken, session, useStorage } from './fixtures.ts';

const LATER = 1_800_000_000;

describe.each(BACKENDS)('storage contract (%s): CO-1 session revocation', (backend) => {
  const h = useStorage(backend);

  /** s1 ─ grt_a ─ grt_a_child (exchanged, no session of its own); s2 ─ grt_b; grt_plain (no session). */
  async function seed(): Promise<void> {
    await h.storage.sessions.create(session('s1', LATER));
    await h.storage.sessions.create(session('s2', LATER));
    const tree: [string, string | null, string | null][] = [
      ['grt_a', null, 's1'],
      ['grt_a_child', 'grt_a', null],
      ['grt_b', null, 's2'],
      ['grt_plain', null, null],
    ];
    for (const [id, parent, sessionIdHash] of tree) {
      await h.storage.grants.create(grant({ id, parentGrantId: parent, ...(sessionIdHash ? { sessionIdHash } : {}) }));
      await h.storage.refreshTokens.create(refreshToken({ tokenHash: `rt-${id}`, id: `rt_${id}`, grantId: id }));
      await h.storage.accessTokens.create(accessToken({ jti: `at-${id}`, grantId: id, expiresAt: LATER }));
    }
  }

  it('round-trips grants.sessionIdHash, absent when null', async () => {
    await seed();
    expect((await h.storage.grants.get('grt_a'))?.sessionIdHash).toBe('s1');
    expect(await h.storage.grants.get('grt_plain')).not.toHaveProperty('sessionIdHash');
  });

  it('CO-1 ends the session and revokes the trees of its grants, exchanged grants and tokens included, nothing else', async () => {
    await seed();
    const result = await h.storage.sessions.revokeWithGrants('s1', 900, 'session revoked');
    expect(result.ended).toBe(true);
    expect(result.revokedGrants.sort()).toEqual(['grt_a', 'grt_a_child']);
    expect((await h.storage.sessions.get('s1'))?.revokedAt).toBe(900);
    for (const id of ['grt_a', 'grt_a_child']) {
      expect(await h.storage.grants.get(id)).toMatchObject({ revokedAt: 900, revokedReason: 'session revoked' });
      expect((await h.storage.accessTokens.get(`at-${id}`))?.revokedAt).toBe(900);
      expect((await h.storage.refreshTokens.get(`rt-${id}`))?.revokedAt).toBe(900);
    }
    for (const id of ['grt_b', 'grt_plain']) expect((await h.storage.accessTokens.get(`at-${id}`))?.revokedAt).toBeNull();
    expect((await h.storage.sessions.get('s2'))?.revokedAt).toBeNull();
    // The feed resource servers poll carries the revocation (CO-1).
    const events = await h.storage.revocations.list({});
    expect(events.filter((e) => e.grantId !== null).map((e) => e.grantId).sort()).toEqual(['grt_a', 'grt_a_child']);
    expect(events.filter((e) => e.jti !== null).map((e) => e.jti).sort()).toEqual(['at-grt_a', 'at-grt_a_child']);
  });

  it('an already-ended session (replaced by a new login) still has its live grants revoked; unknown sessions revoke nothing', async () => {
    await seed();
    expect(await h.storage.sessions.revoke('s1', 800)).toBe(true); // what a new login does: grants live on
    expect((await h.storage.grants.get('grt_a'))?.revokedAt).toBeNull();
    expect(await h.storage.sessions.revokeWithGrants('s1', 900, 'x')).toEqual({ ended: false, revokedGrants: expect.arrayContaining(['grt_a', 'grt_a_child']) });
    expect((await h.storage.sessions.get('s1'))?.revokedAt).toBe(800);
    expect(await h.storage.sessions.revokeWithGrants('nope', 900, 'x')).toEqual({ ended: false, revokedGrants: [] });
  });

  it('lists a user\'s sessions newest first, live only unless ended ones are asked for', async () => {
    await h.storage.sessions.create({ ...session('live-old', LATER), createdAt: 1 });
    await h.storage.sessions.create({ ...session('live-new', LATER), createdAt: 3 });
    await h.storage.sessions.create(session('revoked', LATER, 5));
    await h.storage.sessions.create(session('expired', 1000));
    await h.storage.sessions.create({ ...session('bob', LATER), userId: 'usr_bob' });
    expect((await h.storage.sessions.listForUser('usr_alice', { now: 2000 })).map((s) => s.idHash)).toEqual(['live-new', 'live-old']);
    const all = await h.storage.sessions.listForUser('usr_alice', { now: 2000, includeEnded: true });
    expect(all.map((s) => s.idHash).sort()).toEqual(['expired', 'live-new', 'live-old', 'revoked']);
    expect(await h.storage.sessions.listForUser('usr_carol', { now: 2000 })).toEqual([]);
  });
});
