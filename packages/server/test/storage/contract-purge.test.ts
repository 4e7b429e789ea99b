/**
 * Retention contract, on SQLite and PostgreSQL (storage/maintenance.ts): purgeExpired deletes
 * exactly the rows expired before the cutoff, keeps live and just-expired rows, is idempotent,
 * and the sweep never touches grants, refresh token families, codes or the audit log.
 */
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { startMaintenance } from '../../src/storage/maintenance.ts';
import { BACKENDS, accessToken, code, grant, refreshToken, useStorage } from './fixtures.ts';

const T = 1_700_000_000;

describe.each(BACKENDS)('storage contract (%s): purge of expired rows', (backend) => {
  const h = useStorage(backend);

  it('access tokens: rows expired before the cutoff go, the rest stay; a second purge deletes nothing', async () => {
    await h.storage.grants.create(grant());
    await h.storage.accessTokens.create(accessToken({ jti: 'at_old', expiresAt: T + 100 }));
    await h.storage.accessTokens.create(accessToken({ jti: 'at_edge', expiresAt: T + 200 }));
    await h.storage.accessTokens.create(accessToken({ jti: 'at_live', expiresAt: T + 900 }));
    expect(await h.storage.accessTokens.purgeExpired(T + 200)).toBe(1);
    expect(await h.storage.accessTokens.get('at_old')).toBeNull();
    expect(await h.storage.accessTokens.get('at_edge')).not.toBeNull();
    expect(await h.storage.accessTokens.get('at_live')).not.toBeNull();
    expect(await h.storage.accessTokens.purgeExpired(T + 200)).toBe(0);
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

  it('PAR requests and interactions: expired rows go, live ones stay consumable', async () => {
    for (const [id, expiresAt] of [['old', T + 60], ['live', T + 6000]] as const) {
      await h.storage.par.create({ id: `par_${id}`, clientId: 'client-1', params: { a: 1 }, dpopJkt: null, createdAt: T, expiresAt, consumedAt: null });
      await h.storage.interactions.create({ id: `int_${id}`, clientId: 'client-1', params: { a: 1 }, sessionIdHash: null, createdAt: T, expiresAt, consumedAt: null });
    }
    expect(await h.storage.par.purgeExpired(T + 1000)).toBe(1);
    expect(await h.storage.interactions.purgeExpired(T + 1000)).toBe(1);
    expect(await h.storage.interactions.get('int_old')).toBeNull();
    expect(await h.storage.interactions.get('int_live')).not.toBeNull();
    expect(await h.storage.par.consume('par_live', T + 1000)).not.toBeNull();
    expect(await h.storage.interactions.consume('int_live', T + 1000)).not.toBeNull();
  });

  it('a sweep purges every expiring table past the grace period and leaves grants, refresh families, codes and audit intact', async () => {
    await h.storage.grants.create(grant());
    await h.storage.codes.create(code({ expiresAt: T + 60 }));
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
    // Code replay detection still works: the code is there.
    expect((await h.storage.codes.consume('code-hash-1', T + 10_000))?.first).toBe(true);
    expect(await h.storage.audit.list({})).toHaveLength(1);
    await m.stop();
  });
});
