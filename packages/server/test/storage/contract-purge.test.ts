/**
 * Retention contract, on SQLite and PostgreSQL (storage/maintenance.ts): purgeExpired deletes
 * exactly the rows expired before the cutoff, keeps live and just-expired rows, is idempotent,
 * and the sweep never touches grants, the audit log, or the codes and refresh tokens that still
 * detect a replay; codes, refresh tokens and sessions follow their own rules (maintenance.ts).
 */
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { startMaintenance } from '../../src/storage/maintenance.ts';
import { REVOCATION_EXPIRY_LEEWAY } from '../../src/storage/repositories/revocations.ts';
import { BACKENDS, accessToken, code, grant, refreshToken, session, useStorage } from './fixtures.ts';

const T = 1_700_000_000;

describe.each(BACKENDS)('storage contract (%s): purge of expired rows', (backend) => {
  const h = useStorage(backend);

  it('access tokens: rows expired before the cutoff go, the rest stay; a second purge deletes nothing', async () => {
    await h.storage.grants.create(grant());
    await h.storage.accessTokens.create(accessToken({ jti: 'at_old', expiresAt: T + 100 }));
    await h.storage.accessTokens.create(accessToken({ jti: 'at_edge', expiresAt: T + 200 }));
    await h.storage.accessTokens.create(accessToken({ jti: 'at_live', expiresAt: T + 900 }));
    expect(await h.storage.accessTokens.purgeExpired(T + 200, 1000)).toBe(1);
    expect(await h.storage.accessTokens.get('at_old')).toBeNull();
    expect(await h.storage.accessTokens.get('at_edge')).not.toBeNull();
    expect(await h.storage.accessTokens.get('at_live')).not.toBeNull();
    expect(await h.storage.accessTokens.purgeExpired(T + 200, 1000)).toBe(0);
  });

  it('access tokens: purged in chunks of `limit`, oldest expiry first, unexpired rows kept; the sweep runs chunks until none left', async () => {
    await h.storage.grants.create(grant());
    for (let i = 0; i < 7; i++) await h.storage.accessTokens.create(accessToken({ jti: `at_old_${i}`, expiresAt: T + 10 + i }));
    await h.storage.accessTokens.create(accessToken({ jti: 'at_live', expiresAt: T + 900 }));
    expect(await h.storage.accessTokens.purgeExpired(T + 200, 3)).toBe(3);
    // Oldest expiry first: the three earliest are gone, the later expired ones still there.
    for (let i = 0; i < 3; i++) expect(await h.storage.accessTokens.get(`at_old_${i}`)).toBeNull();
    expect(await h.storage.accessTokens.get('at_old_3')).not.toBeNull();
    expect(await h.storage.accessTokens.purgeExpired(T + 200, 3)).toBe(3);
    expect(await h.storage.accessTokens.purgeExpired(T + 200, 3)).toBe(1);
    expect(await h.storage.accessTokens.purgeExpired(T + 200, 3)).toBe(0);
    expect(await h.storage.accessTokens.get('at_live')).not.toBeNull();

    for (let i = 0; i < 5; i++) await h.storage.accessTokens.create(accessToken({ jti: `at_more_${i}`, expiresAt: T + 50 }));
    const m = startMaintenance(h.storage, { purgeIntervalSeconds: 0, graceSeconds: 0, chunkSize: 2 }, pino({ level: 'silent' }), () => T + 200);
    expect((await m.sweep())['access_tokens']).toBe(5);
    await m.stop();
    expect(await h.storage.accessTokens.get('at_live')).not.toBeNull();
  });

  it('revocation events: expired events leave the feed table, unexpired ones stay with their seq', async () => {
    await h.storage.revocations.append([
      { jti: 'at_a', grantId: null, expiresAt: T + 100, revokedAt: T, reason: 'token_revoked' },
      { jti: null, grantId: 'grt_b', expiresAt: T + 5000, revokedAt: T, reason: 'grant_revoked' },
    ]);
    const before = await h.storage.revocations.list({});
    expect(await h.storage.revocations.purgeExpired(T + 101)).toBe(1);
    const after = await h.storage.revocations.list({});
    expect(after).toEqual(before.filter((e) => e.grantId === 'grt_b'));
  });

  it('revocation events outlive a grace shorter than the feed\'s leeway: resource servers accept tokens a little past exp', async () => {
    await h.storage.revocations.append([
      { jti: 'at_in_leeway', grantId: null, expiresAt: T + 100, revokedAt: T, reason: 'token_revoked' },
      { jti: 'at_past_leeway', grantId: null, expiresAt: T + 100 - REVOCATION_EXPIRY_LEEWAY - 1, revokedAt: T, reason: 'token_revoked' },
    ]);
    const m = startMaintenance(h.storage, { purgeIntervalSeconds: 0, graceSeconds: 0 }, pino({ level: 'silent' }), () => T + 110);
    expect((await m.sweep())['revocation_events']).toBe(1);
    await m.stop();
    expect((await h.storage.revocations.list({})).map((e) => e.jti)).toEqual(['at_in_leeway']);
  });

  it('PAR requests and interactions: expired rows go, live ones stay consumable', async () => {
    for (const [id, expiresAt] of [['old', T + 60], ['live', T + 6000]] as const) {
      await h.storage.par.create({ id: `par_${id}`, clientId: 'client-1', params: { a: 1 }, dpopJkt: null, createdAt: T, expiresAt, consumedAt: null });
      await h.storage.interactions.create({ id: `int_${id}`, clientId: 'client-1', params: { a: 1 }, sessionIdHash: null, createdAt: T, expiresAt, consumedAt: null });
    }
    expect(await h.storage.par.purgeExpired(T + 1000)).toBe(1);
    expect(await h.storage.interactions.purgeExpired(T + 1000)).toBe(1);
    expect(await h.storage.interactions.get('int_old')).toBeNull();
    expect(await h.storage.interactions.get('int_live')).not.toBeNull();
    expect(await h.storage.par.consume('par_live', 'client-1', T + 1000)).not.toBeNull();
    expect(await h.storage.interactions.consume('int_live', T + 1000)).not.toBeNull();
  });

  it('a sweep purges every expiring table past the grace period and leaves grants, refresh families, codes and audit intact', async () => {
    await h.storage.grants.create(grant());
    // Consumed, and its grant still holds a live token (at_recent): kept as replay evidence.
    await h.storage.codes.create(code({ expiresAt: T + 60 }));
    expect((await h.storage.codes.consume('code-hash-1', T + 10))?.first).toBe(true);
    await h.storage.refreshTokens.create(refreshToken({ tokenHash: 'rt_rotated', expiresAt: T + 60 }));
    await h.storage.refreshTokens.rotate('rt_rotated', T + 10);
    await h.storage.audit.append({ event: 'token.issued', clientId: 'client-1', userId: 'usr_alice', result: 'success', data: { grantId: 'grt_root' } }, T);
    await h.storage.accessTokens.create(accessToken({ jti: 'at_dead', expiresAt: T + 60 }));
    // Expired, but within the grace period: kept.
    await h.storage.accessTokens.create(accessToken({ jti: 'at_recent', expiresAt: T + 9_500 }));
    await h.storage.upstreamIdentities.states.create({ stateHash: 's_dead', interactionId: 'int_1', providerId: 'idp', nonce: 'n', codeVerifier: 'v', createdAt: T, expiresAt: T + 60 });
    await h.storage.totpEnrollments.put({ interactionId: 'int_1', userId: 'usr_alice', loginAt: T, secretEncrypted: 'jwe', createdAt: T, expiresAt: T + 60 });
    await h.storage.revocations.append([{ jti: 'at_x', grantId: null, expiresAt: T + 60, revokedAt: T, reason: 'token_revoked' }]);

    const m = startMaintenance(h.storage, { purgeIntervalSeconds: 0, graceSeconds: 600 }, pino({ level: 'silent' }), () => T + 10_000);
    expect(m.active).toBe(false);
    const deleted = await m.sweep();
    expect(deleted).toMatchObject({ access_tokens: 1, revocation_events: 1, upstream_login_states: 1, totp_enrollments: 1 });
    expect(await h.storage.accessTokens.get('at_dead')).toBeNull();
    expect(await h.storage.accessTokens.get('at_recent')).not.toBeNull();
    expect(await h.storage.revocations.list({})).toEqual([]);
    // Reuse detection still works: the rotated refresh token and its grant are there.
    expect((await h.storage.refreshTokens.get('rt_rotated'))?.rotatedAt).toBe(T + 10);
    expect(await h.storage.grants.get('grt_root')).not.toBeNull();
    // Code replay detection still works: the consumed code is there and reported as a replay.
    expect((await h.storage.codes.consume('code-hash-1', T + 10_000))?.first).toBe(false);
    expect(await h.storage.audit.list({})).toHaveLength(1);
    await m.stop();
  });

  const B = T + 10_000;

  it('authorization codes: expired unconsumed codes and consumed codes of dead grants go; live evidence stays', async () => {
    await h.storage.grants.create(grant({ id: 'grt_live' }));
    await h.storage.grants.create(grant({ id: 'grt_dead' }));
    await h.storage.grants.create(grant({ id: 'grt_revoked', revokedAt: T + 20, revokedReason: 'user' }));
    await h.storage.grants.create(grant({ id: 'grt_parent' }));
    await h.storage.grants.create(grant({ id: 'grt_child', parentGrantId: 'grt_parent' }));
    // grt_live holds a refresh token unexpired at the cutoff; grt_child an access token.
    await h.storage.refreshTokens.create(refreshToken({ tokenHash: 'rt_live', grantId: 'grt_live', expiresAt: B + 5000 }));
    await h.storage.refreshTokens.create(refreshToken({ tokenHash: 'rt_dead', grantId: 'grt_dead', expiresAt: B - 1 }));
    await h.storage.accessTokens.create(accessToken({ jti: 'at_child', grantId: 'grt_child', expiresAt: B }));
    const codes: Array<[string, string, number, boolean]> = [
      ['c_unused_old', 'grt_live', B - 1, false],
      ['c_unused_live', 'grt_dead', B + 60, false],
      ['c_unused_edge', 'grt_dead', B, false],
      ['c_used_live_grant', 'grt_live', B - 1, true],
      ['c_used_parent_of_live', 'grt_parent', B - 1, true],
      ['c_used_dead_grant', 'grt_dead', B - 1, true],
      ['c_used_revoked_grant', 'grt_revoked', B - 1, true],
      ['c_used_dead_unexpired', 'grt_dead', B + 60, true],
    ];
    for (const [codeHash, grantId, expiresAt, used] of codes) {
      await h.storage.codes.create(code({ codeHash, grantId, expiresAt }));
      if (used) await h.storage.codes.consume(codeHash, T + 10);
    }
    expect((await h.storage.codes.purgeExpired(B, 1000)).deleted).toBe(3);
    expect((await h.storage.codes.purgeExpired(B, 1000)).deleted).toBe(0);
    for (const gone of ['c_unused_old', 'c_used_dead_grant', 'c_used_revoked_grant']) expect(await h.storage.codes.consume(gone, B)).toBeNull();
    // The unconsumed live codes are still consumable; the consumed evidence still reports a replay.
    expect((await h.storage.codes.consume('c_unused_live', B))?.first).toBe(true);
    expect((await h.storage.codes.consume('c_unused_edge', B))?.first).toBe(true);
    for (const kept of ['c_used_live_grant', 'c_used_parent_of_live', 'c_used_dead_unexpired']) expect((await h.storage.codes.consume(kept, B))?.first).toBe(false);
  });

  it('authorization codes: a chunk limit bounds each delete and repeated chunks finish the backlog', async () => {
    for (let i = 0; i < 5; i++) await h.storage.codes.create(code({ codeHash: `c_${i}`, expiresAt: T + 60 }));
    // Each chunk resumes after the previous one's cursor; the short last chunk ends the walk (null).
    let after: string | null = null;
    const chunk = async () => {
      const page = await h.storage.codes.purgeExpired(B, 2, after);
      after = page.next;
      return page.deleted;
    };
    expect(await chunk()).toBe(2);
    expect(await chunk()).toBe(2);
    expect(await chunk()).toBe(1);
    expect(after).toBeNull();
    expect(await chunk()).toBe(0);
  });

  it('a sweep walks codes and refresh tokens past the first chunk, with the same rules in every chunk', async () => {
    await h.storage.grants.create(grant({ id: 'grt_live' }));
    await h.storage.grants.create(grant({ id: 'grt_dead' }));
    // grt_deep's only live token sits two generations down: the tree check must walk to it.
    await h.storage.grants.create(grant({ id: 'grt_deep' }));
    await h.storage.grants.create(grant({ id: 'grt_deep_child', parentGrantId: 'grt_deep' }));
    await h.storage.grants.create(grant({ id: 'grt_deep_grandchild', parentGrantId: 'grt_deep_child' }));
    await h.storage.accessTokens.create(accessToken({ jti: 'at_grandchild', grantId: 'grt_deep_grandchild', expiresAt: B + 60 }));
    await h.storage.refreshTokens.create(refreshToken({ tokenHash: 'rt_z_live_head', grantId: 'grt_live', expiresAt: B + 5000 }));
    // Nine expired unconsumed codes (c_0..c_8) and consumed ones spread over later chunks.
    for (let i = 0; i < 9; i++) await h.storage.codes.create(code({ codeHash: `c_${i}`, grantId: 'grt_dead', expiresAt: B - 1 }));
    const consumed: Array<[string, string]> = [['c_5a_deep', 'grt_deep'], ['c_6a_dead', 'grt_dead'], ['c_7a_live', 'grt_live'], ['c_8a_dead', 'grt_dead']];
    for (const [codeHash, grantId] of consumed) {
      await h.storage.codes.create(code({ codeHash, grantId, expiresAt: B - 1 }));
      await h.storage.codes.consume(codeHash, T + 10);
    }
    for (let i = 0; i < 9; i++) await h.storage.refreshTokens.create(refreshToken({ tokenHash: `rt_${i}`, grantId: 'grt_dead', expiresAt: B - 1 }));
    for (const [tokenHash, grantId] of [['rt_6a_live', 'grt_live'], ['rt_7a_dead', 'grt_dead'], ['rt_8a_deep', 'grt_deep']] as const) {
      await h.storage.refreshTokens.create(refreshToken({ tokenHash, grantId, expiresAt: B - 1 }));
      await h.storage.refreshTokens.rotate(tokenHash, T + 10);
    }

    const m = startMaintenance(h.storage, { purgeIntervalSeconds: 0, graceSeconds: 0, chunkSize: 2 }, pino({ level: 'silent' }), () => B);
    expect(await m.sweep()).toMatchObject({ authorization_codes: 11, refresh_tokens: 10 });
    for (let i = 0; i < 9; i++) expect(await h.storage.codes.consume(`c_${i}`, B)).toBeNull();
    for (const gone of ['c_6a_dead', 'c_8a_dead']) expect(await h.storage.codes.consume(gone, B)).toBeNull();
    for (const kept of ['c_5a_deep', 'c_7a_live']) expect((await h.storage.codes.consume(kept, B))?.first).toBe(false);
    for (let i = 0; i < 9; i++) expect(await h.storage.refreshTokens.get(`rt_${i}`)).toBeNull();
    expect(await h.storage.refreshTokens.get('rt_7a_dead')).toBeNull();
    for (const kept of ['rt_6a_live', 'rt_8a_deep']) expect((await h.storage.refreshTokens.rotate(kept, B))?.first).toBe(false);
    expect(await h.storage.refreshTokens.get('rt_z_live_head')).not.toBeNull();
    // The walk reached the end: the next sweep starts over and finds nothing more.
    expect(await m.sweep()).toMatchObject({ authorization_codes: 0, refresh_tokens: 0 });
    await m.stop();
  });

  it('a sweep whose chunk budget ends mid-table resumes there next time instead of rereading kept rows', async () => {
    await h.storage.grants.create(grant({ id: 'grt_live' }));
    await h.storage.refreshTokens.create(refreshToken({ tokenHash: 'rt_live', grantId: 'grt_live', expiresAt: B + 5000 }));
    // 100 kept evidence codes first in key order use up one sweep's budget (maxKeysetChunks: 100 chunks of 1 row).
    for (let i = 0; i < 100; i++) {
      const codeHash = `a_${String(i).padStart(3, '0')}`;
      await h.storage.codes.create(code({ codeHash, grantId: 'grt_live', expiresAt: B - 1 }));
      await h.storage.codes.consume(codeHash, T + 10);
    }
    for (let i = 0; i < 3; i++) await h.storage.codes.create(code({ codeHash: `b_${i}`, grantId: 'grt_live', expiresAt: B - 1 }));
    const m = startMaintenance(h.storage, { purgeIntervalSeconds: 0, graceSeconds: 0, chunkSize: 1, maxKeysetChunks: 100 }, pino({ level: 'silent' }), () => B);
    expect((await m.sweep()).authorization_codes).toBe(0);
    expect((await m.sweep()).authorization_codes).toBe(3);
    for (let i = 0; i < 3; i++) expect(await h.storage.codes.consume(`b_${i}`, B)).toBeNull();
    expect((await h.storage.codes.consume('a_000', B))?.first).toBe(false);
    await m.stop();
  });

  it('authorization codes: a consumed code of a revoked grant stays while a derived grant still holds an unrevoked token', async () => {
    await h.storage.grants.create(grant({ id: 'grt_revoked', revokedAt: T + 20, revokedReason: 'user' }));
    await h.storage.grants.create(grant({ id: 'grt_revoked_child', parentGrantId: 'grt_revoked' }));
    await h.storage.accessTokens.create(accessToken({ jti: 'at_child', grantId: 'grt_revoked_child', expiresAt: B + 60 }));
    await h.storage.codes.create(code({ codeHash: 'c_used', grantId: 'grt_revoked', expiresAt: B - 1 }));
    await h.storage.codes.consume('c_used', T + 10);
    expect((await h.storage.codes.purgeExpired(B, 1000)).deleted).toBe(0);
    await h.storage.accessTokens.revoke('at_child', T + 30);
    expect((await h.storage.codes.purgeExpired(B, 1000)).deleted).toBe(1);
  });

  it('refresh tokens: a rotated token of a live family stays past its expiry; dead, unused-expired and revoked-grant rows go', async () => {
    await h.storage.grants.create(grant({ id: 'grt_live' }));
    await h.storage.grants.create(grant({ id: 'grt_dead' }));
    await h.storage.grants.create(grant({ id: 'grt_revoked_old', revokedAt: B - 1, revokedReason: 'user' }));
    await h.storage.grants.create(grant({ id: 'grt_revoked_recent', revokedAt: B, revokedReason: 'user' }));
    const rows: Array<[string, string, number, boolean]> = [
      // grt_live: the family's newest token is live, so its rotated predecessors are reuse evidence.
      ['rt_live_head', 'grt_live', B + 5000, false],
      ['rt_live_rotated_expired', 'grt_live', B - 1, true],
      ['rt_live_rotated_unexpired', 'grt_live', B + 100, true],
      ['rt_live_unused_expired', 'grt_live', B - 1, false],
      ['rt_dead_rotated', 'grt_dead', B - 1, true],
      ['rt_dead_head', 'grt_dead', B - 1, false],
      ['rt_revoked_old', 'grt_revoked_old', B + 5000, true],
      ['rt_revoked_recent', 'grt_revoked_recent', B + 5000, true],
    ];
    for (const [tokenHash, grantId, expiresAt, rotated] of rows) {
      await h.storage.refreshTokens.create(refreshToken({ tokenHash, grantId, expiresAt }));
      if (rotated) await h.storage.refreshTokens.rotate(tokenHash, T + 10);
    }
    expect((await h.storage.refreshTokens.purgeExpired(B, 1000)).deleted).toBe(4);
    expect((await h.storage.refreshTokens.purgeExpired(B, 1000)).deleted).toBe(0);
    for (const gone of ['rt_live_unused_expired', 'rt_dead_rotated', 'rt_dead_head', 'rt_revoked_old']) expect(await h.storage.refreshTokens.get(gone)).toBeNull();
    for (const kept of ['rt_live_head', 'rt_revoked_recent']) expect(await h.storage.refreshTokens.get(kept)).not.toBeNull();
    // Reuse of a rotated token of the live family is still detected, expired or not.
    for (const kept of ['rt_live_rotated_expired', 'rt_live_rotated_unexpired']) expect((await h.storage.refreshTokens.rotate(kept, B))?.first).toBe(false);
  });

  it('sessions: expired past the cutoff go, live and just-expired ones stay', async () => {
    await h.storage.sessions.create(session('s_old', B - 1));
    await h.storage.sessions.create(session('s_edge', B));
    await h.storage.sessions.create(session('s_live', B + 3600));
    expect((await h.storage.sessions.purgeExpired(B, 1000)).deleted).toBe(1);
    expect((await h.storage.sessions.purgeExpired(B, 1000)).deleted).toBe(0);
    expect(await h.storage.sessions.get('s_old')).toBeNull();
    expect(await h.storage.sessions.get('s_edge')).not.toBeNull();
    expect(await h.storage.sessions.get('s_live')).not.toBeNull();
  });

  it('a sweep reports the chunked tables and deletes past the grace period only', async () => {
    await h.storage.sessions.create(session('s_old', T + 60));
    await h.storage.sessions.create(session('s_recent', T + 9_500));
    await h.storage.codes.create(code({ codeHash: 'c_old', expiresAt: T + 60 }));
    await h.storage.refreshTokens.create(refreshToken({ tokenHash: 'rt_old', expiresAt: T + 60 }));
    const m = startMaintenance(h.storage, { purgeIntervalSeconds: 0, graceSeconds: 600 }, pino({ level: 'silent' }), () => T + 10_000);
    expect(await m.sweep()).toMatchObject({ sessions: 1, authorization_codes: 1, refresh_tokens: 1 });
    expect(await h.storage.sessions.get('s_recent')).not.toBeNull();
    await m.stop();
  });
});
