/**
 * Retention contract, on SQLite and PostgreSQL: the keyset walks of the session and code purges
 * (repositories/expiry-walk.ts, storage/maintenance.ts) and the live-tree rule for rotated refresh
 * tokens of revoked grants (repositories/refresh-tokens.ts, live-grants.ts).
 */
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { startMaintenance } from '../../src/storage/maintenance.ts';
import { BACKENDS, accessToken, code, grant, refreshToken, session, useStorage } from './fixtures.ts';
import { expiryCursorParams, nextExpiryCursor } from '../../src/storage/repositories/expiry-walk.ts';

const T = 1_700_000_000;
const B = T + 10_000;
const silent = pino({ level: 'silent' });

describe('expiry-walk cursors', () => {
  it('round-trip a key holding colons, and read anything else as the start', () => {
    const page = [{ expires_at: 5, key: 'x' }, { expires_at: 7, key: 's:b:x' }];
    const cursor = nextExpiryCursor(page, 2, (r) => r.key);
    expect(cursor).toBe('7:s:b:x');
    expect(expiryCursorParams(cursor)).toEqual([7, 's:b:x']);
    expect(expiryCursorParams('-3:')).toEqual([-3, '']);
    expect(nextExpiryCursor(page, 3, (r) => r.key)).toBeNull(); // a short chunk ends the walk
    for (const foreign of [null, 'deadbeef', ':k', 'x:k', '1.5:k', '9007199254740993:k']) expect(expiryCursorParams(foreign)).toEqual([Number.MIN_SAFE_INTEGER, '']);
  });
});

describe.each(BACKENDS)('storage contract (%s): keyset retention walks', (backend) => {
  const h = useStorage(backend);

  it('sessions: chunks walk the expired rows in expiry order, ties across a chunk boundary included, and end with a null cursor', async () => {
    // Five expired sessions, three sharing one expiry so a chunk boundary falls inside the tie;
    // a key with colons checks the cursor's encoding.
    for (const [idHash, expiresAt] of [['s_c', B - 50], ['s_a', B - 10], ['s:b:x', B - 10], ['s_d', B - 10], ['s_e', B - 1]] as const) {
      await h.storage.sessions.create(session(idHash, expiresAt));
    }
    let after: string | null = null;
    const deleted: number[] = [];
    for (let i = 0; i < 3; i++) {
      const chunk = await h.storage.sessions.purgeExpired(B, 2, after);
      deleted.push(chunk.deleted);
      after = chunk.next;
    }
    expect(deleted).toEqual([2, 2, 1]);
    expect(after).toBeNull();
    for (const gone of ['s_a', 's:b:x', 's_c', 's_d', 's_e']) expect(await h.storage.sessions.get(gone)).toBeNull();
  });

  it('sessions: a chunk resumes after its cursor, so a row expiring before the cursor waits for the next walk', async () => {
    for (let i = 0; i < 4; i++) await h.storage.sessions.create(session(`s_${i}`, B - 100 + i));
    const first = await h.storage.sessions.purgeExpired(B, 2, null);
    expect(first.deleted).toBe(2);
    // Sorts before the cursor (expires earlier than s_1): not this walk's to see.
    await h.storage.sessions.create(session('s_late_early', B - 500));
    const second = await h.storage.sessions.purgeExpired(B, 2, first.next);
    expect(second.deleted).toBe(2);
    expect(await h.storage.sessions.get('s_late_early')).not.toBeNull();
    // The next walk starts over and takes it.
    expect((await h.storage.sessions.purgeExpired(B, 2, null)).deleted).toBe(1);
    expect(await h.storage.sessions.get('s_late_early')).toBeNull();
  });

  it('sessions: a full walk deletes no live session, revoked or not, at or after the cutoff', async () => {
    const live = [session('s_live_a', B), session('s_live_b', B + 1), session('s_live_revoked', B + 60, T + 5), session('s_live_z', B + 3600)];
    for (const s of live) await h.storage.sessions.create(s);
    for (let i = 0; i < 5; i++) await h.storage.sessions.create(session(`s_old_${i}`, B - 1 - i, i % 2 === 0 ? T + 1 : null));
    let after: string | null = null;
    let total = 0;
    do {
      const chunk = await h.storage.sessions.purgeExpired(B, 1, after);
      total += chunk.deleted;
      after = chunk.next;
    } while (after !== null);
    expect(total).toBe(5);
    for (const s of live) expect(await h.storage.sessions.get(s.idHash)).toEqual(s);
  });

  it('sessions: the sweep keeps its cursor from one sweep to the next instead of starting over', async () => {
    // A budget of 100 chunks of one row per sweep (maxKeysetChunks): 103 expired sessions take two sweeps.
    for (let i = 0; i < 103; i++) await h.storage.sessions.create(session(`s_${String(i).padStart(3, '0')}`, B - 1000 + i));
    await h.storage.sessions.create(session('s_live', B + 60));
    let now = B;
    const m = startMaintenance(h.storage, { purgeIntervalSeconds: 0, graceSeconds: 0, chunkSize: 1, maxKeysetChunks: 100 }, silent, () => now);
    expect((await m.sweep()).sessions).toBe(100);
    // Expires before everything the first sweep deleted: behind the cursor, so the second sweep,
    // resuming there, leaves it to the walk after.
    await h.storage.sessions.create(session('s_behind', B - 5000));
    now = B + 1;
    expect((await m.sweep()).sessions).toBe(3);
    expect(await h.storage.sessions.get('s_behind')).not.toBeNull();
    expect((await m.sweep()).sessions).toBe(1);
    expect(await h.storage.sessions.get('s_behind')).toBeNull();
    expect(await h.storage.sessions.get('s_live')).not.toBeNull();
    await m.stop();
  });

  it('authorization codes: unexpired codes are not read, so they never use up a chunk', async () => {
    // First in primary-key order, but the walk is in expiry order over expired codes only.
    for (let i = 0; i < 4; i++) await h.storage.codes.create(code({ codeHash: `a_live_${i}`, expiresAt: B + 60 }));
    for (let i = 0; i < 2; i++) await h.storage.codes.create(code({ codeHash: `z_old_${i}`, expiresAt: B - 1 }));
    const chunk = await h.storage.codes.purgeExpired(B, 2, null);
    expect(chunk.deleted).toBe(2);
    for (let i = 0; i < 4; i++) expect((await h.storage.codes.consume(`a_live_${i}`, B))?.first).toBe(true);
  });
});

describe.each(BACKENDS)('storage contract (%s): replay evidence of revoked grants (RFC 9700 §4.14.2)', (backend) => {
  const h = useStorage(backend);

  it("refresh tokens: a rotated token of a revoked grant stays while the grant's tree holds an unrevoked token, and goes after", async () => {
    // A grant written revoked whose derived grant still holds an unrevoked access token: reusing
    // the rotated token runs revokeTree, which revokes that token.
    await h.storage.grants.create(grant({ id: 'grt_revoked', revokedAt: B - 100, revokedReason: 'user' }));
    await h.storage.grants.create(grant({ id: 'grt_revoked_child', parentGrantId: 'grt_revoked' }));
    await h.storage.accessTokens.create(accessToken({ jti: 'at_child', grantId: 'grt_revoked_child', expiresAt: B + 60 }));
    await h.storage.refreshTokens.create(refreshToken({ tokenHash: 'rt_rotated', grantId: 'grt_revoked', expiresAt: B + 5000 }));
    await h.storage.refreshTokens.rotate('rt_rotated', T + 10);
    // Never rotated: no reuse evidence, and refused by the revoked grant whether stored or not.
    await h.storage.refreshTokens.create(refreshToken({ tokenHash: 'rt_unrotated', grantId: 'grt_revoked', expiresAt: B + 5000 }));
    expect((await h.storage.refreshTokens.purgeExpired(B, 1000)).deleted).toBe(1);
    expect(await h.storage.refreshTokens.get('rt_unrotated')).toBeNull();
    expect((await h.storage.refreshTokens.rotate('rt_rotated', B))?.first).toBe(false);
    await h.storage.accessTokens.revoke('at_child', B);
    expect((await h.storage.refreshTokens.purgeExpired(B, 1000)).deleted).toBe(1);
    expect(await h.storage.refreshTokens.get('rt_rotated')).toBeNull();
  });

  it('refresh tokens: an unrotated, unrevoked token issued into a revoked grant keeps the family evidence alive', async () => {
    await h.storage.grants.create(grant({ id: 'grt_revoked', revokedAt: B - 100, revokedReason: 'reuse' }));
    await h.storage.refreshTokens.create(refreshToken({ tokenHash: 'rt_old', grantId: 'grt_revoked', expiresAt: B - 1 }));
    await h.storage.refreshTokens.rotate('rt_old', T + 10);
    // The successor committed after revokeTree: the one row that still counts as live.
    await h.storage.refreshTokens.create(refreshToken({ tokenHash: 'rt_racing', grantId: 'grt_revoked', expiresAt: B + 5000 }));
    const m = startMaintenance(h.storage, { purgeIntervalSeconds: 0, graceSeconds: 0, chunkSize: 1000 }, silent, () => B);
    // First sweep: the racing token goes (refused by its revoked grant anyway); rt_old stays, since
    // the delete's live check still sees the racing token (same statement, same snapshot).
    expect((await m.sweep()).refresh_tokens).toBe(1);
    expect((await h.storage.refreshTokens.rotate('rt_old', B))?.first).toBe(false);
    expect(await h.storage.refreshTokens.get('rt_racing')).toBeNull();
    // Nothing in the tree can be revoked any more: the evidence goes on the next sweep.
    expect((await m.sweep()).refresh_tokens).toBe(1);
    expect(await h.storage.refreshTokens.get('rt_old')).toBeNull();
    await m.stop();
  });

  it('authorization codes: a rotated refresh token does not keep a consumed code, since revoking it would change nothing', async () => {
    await h.storage.grants.create(grant({ id: 'grt_g' }));
    // Rotated without a successor (issuance without a refresh token), unexpired and unrevoked.
    await h.storage.refreshTokens.create(refreshToken({ tokenHash: 'rt_rotated', grantId: 'grt_g', expiresAt: B + 5000 }));
    await h.storage.refreshTokens.rotate('rt_rotated', T + 10);
    await h.storage.codes.create(code({ codeHash: 'c_used', grantId: 'grt_g', expiresAt: B - 1 }));
    await h.storage.codes.consume('c_used', T + 5);
    expect((await h.storage.codes.purgeExpired(B, 1000)).deleted).toBe(1);
    // An unrotated refresh token of the grant does keep it.
    await h.storage.refreshTokens.create(refreshToken({ tokenHash: 'rt_head', grantId: 'grt_g', expiresAt: B + 5000 }));
    await h.storage.codes.create(code({ codeHash: 'c_used_2', grantId: 'grt_g', expiresAt: B - 1 }));
    await h.storage.codes.consume('c_used_2', T + 5);
    expect((await h.storage.codes.purgeExpired(B, 1000)).deleted).toBe(0);
  });
});
