/**
 * The delegation columns of grants (migration 0004-grant-delegation, issue 3), run unchanged
 * against SQLite and PostgreSQL: an exchanged grant keeps its actor chain, profile and the
 * subject's authentication; every other grant reads back without them; the tree walk of
 * revocation is unaffected.
 */
import { describe, expect, it } from 'vitest';
import type { GrantDelegation } from '../../src/storage/records.ts';
import { BACKENDS, grant, refreshToken, useStorage } from './fixtures.ts';

const DELEGATION: GrantDelegation = {
  chain: { principal: 'usr_alice', actors: [{ sub: 'agt_b' }, { sub: 'agt_a', iss: 'https://as.example' }] },
  profile: 'delegation',
  authTime: 1_700_000_000,
  acr: 'urn:mandate:acr:mfa',
  amr: ['pwd', 'otp'],
};

describe.each(BACKENDS)('storage contract (%s): grant delegation', (backend) => {
  const h = useStorage(backend);

  it('round-trips the chain (nested actors with iss), the profile and auth_time / acr / amr', async () => {
    const record = grant({ id: 'grt_derived', agentId: 'agt_b', parentGrantId: 'grt_root', authorizationDetails: null, delegation: DELEGATION });
    await h.storage.grants.create(grant());
    await h.storage.grants.create(record);
    expect(await h.storage.grants.get('grt_derived')).toEqual(record);
    const listed = await h.storage.grants.list({ agentId: 'agt_b' });
    expect(listed.map((g) => g.delegation)).toEqual([DELEGATION]);
  });

  it('keeps null authentication members and an empty amr', async () => {
    const delegation: GrantDelegation = { ...DELEGATION, profile: 'impersonation', authTime: null, acr: null, amr: [] };
    await h.storage.grants.create(grant({ id: 'grt_bare', delegation }));
    expect((await h.storage.grants.get('grt_bare'))?.delegation).toEqual(delegation);
  });

  it('other grants read back with no delegation member at all (written with null or without the field)', async () => {
    await h.storage.grants.create(grant({ id: 'grt_plain' }));
    await h.storage.grants.create(grant({ id: 'grt_null', delegation: null }));
    const plain = await h.storage.grants.get('grt_plain');
    expect(plain).toEqual(grant({ id: 'grt_plain' }));
    expect(plain && 'delegation' in plain).toBe(false);
    expect((await h.storage.grants.get('grt_null'))?.delegation).toBeUndefined();
  });

  it('the columns are nullable: a row written without them (as before 0004) still reads', async () => {
    await h.raw("insert into grants (id, user_id, client_id, scope, resources, created_at) values ('grt_old', 'usr_alice', 'client-1', 'openid', '[]', 1700000000)");
    expect(await h.storage.grants.get('grt_old')).toMatchObject({ id: 'grt_old', parentGrantId: null, agentId: null, resources: [] });
    expect((await h.storage.grants.get('grt_old'))?.delegation).toBeUndefined();
  });

  it('revoking the parent tree revokes a delegated child and its refresh token', async () => {
    await h.storage.grants.create(grant());
    await h.storage.grants.create(grant({ id: 'grt_child', parentGrantId: 'grt_root', delegation: DELEGATION }));
    await h.storage.refreshTokens.create(refreshToken({ tokenHash: 'rt-child', id: 'rt_child', grantId: 'grt_child' }));
    expect((await h.storage.grants.revokeTree('grt_root', 1_000, 'consent withdrawn')).sort()).toEqual(['grt_child', 'grt_root']);
    expect((await h.storage.refreshTokens.get('rt-child'))?.revokedAt).toBe(1_000);
  });
});
