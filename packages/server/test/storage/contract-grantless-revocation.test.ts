/**
 * CO-1 storage contract, on SQLite and PostgreSQL: access tokens that rest on no grant
 * (client_credentials, workload jwt-bearer, ID-JAG) die with their client or their user at
 * introspection, so revoking the client or the user revokes them too and appends their
 * revocation events in the same transaction. Unexpired ones only: expired ones are left as they
 * are (the partial indexes of migration 0014 range over live tokens only: grantless-revocation-plans.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { BACKENDS, accessToken, agent, grant, useStorage, type StorageHandle } from './fixtures.ts';

/** Feed rows without their seq, in seq order. */
async function feed(h: StorageHandle): Promise<{ jti: string | null; grantId: string | null; expiresAt: number; reason: string }[]> {
  const rows = await h.storage.revocations.list({});
  return rows.map(({ jti, grantId, expiresAt, reason }) => ({ jti, grantId, expiresAt, reason }));
}

describe.each(BACKENDS)('storage contract (%s): revoking tokens on no grant', (backend) => {
  const h = useStorage(backend);

  it('accessTokens.revokeGrantlessByClient revokes the client\'s grant-less tokens with their events, nothing else', async () => {
    await h.storage.grants.create(grant({ id: 'grt_1', clientId: 'client-1' }));
    await h.storage.accessTokens.create(accessToken({ jti: 'at-cc', grantId: null, userId: null, clientId: 'client-1', expiresAt: 3000 }));
    await h.storage.accessTokens.create(accessToken({ jti: 'at-jag', grantId: null, userId: 'usr_alice', clientId: 'client-1', expiresAt: 3500 }));
    await h.storage.accessTokens.create(accessToken({ jti: 'at-expired', grantId: null, userId: null, clientId: 'client-1', expiresAt: 500 }));
    await h.storage.accessTokens.create(accessToken({ jti: 'at-granted', grantId: 'grt_1', clientId: 'client-1', expiresAt: 3000 }));
    await h.storage.accessTokens.create(accessToken({ jti: 'at-other', grantId: null, userId: null, clientId: 'client-2', expiresAt: 3000 }));
    await h.storage.accessTokens.create(accessToken({ jti: 'at-done', grantId: null, userId: null, clientId: 'client-1', expiresAt: 3000, revokedAt: 900 }));

    expect(await h.storage.accessTokens.revokeGrantlessByClient('client-1', 1000, 'client deleted')).toBe(2);
    for (const jti of ['at-cc', 'at-jag']) expect((await h.storage.accessTokens.get(jti))?.revokedAt, jti).toBe(1000);
    // Live tokens only (the scan is bounded by expires_at): the expired one is left as it was, with no event.
    expect((await h.storage.accessTokens.get('at-expired'))?.revokedAt).toBeNull();
    expect((await h.storage.accessTokens.get('at-granted'))?.revokedAt).toBeNull();
    expect((await h.storage.accessTokens.get('at-other'))?.revokedAt).toBeNull();
    expect((await h.storage.accessTokens.get('at-done'))?.revokedAt).toBe(900);
    expect(await feed(h)).toEqual([
      { jti: 'at-cc', grantId: null, expiresAt: 3000, reason: 'client deleted' },
      { jti: 'at-jag', grantId: null, expiresAt: 3500, reason: 'client deleted' },
    ]);
    expect(await h.storage.accessTokens.revokeGrantlessByClient('client-1', 1100, 'again')).toBe(0);
    expect(await feed(h)).toHaveLength(2);
  });

  it('accessTokens.revokeGrantlessByClient inside a transaction that throws leaves tokens and feed untouched', async () => {
    await h.storage.accessTokens.create(accessToken({ jti: 'at-cc', grantId: null, userId: null, clientId: 'client-1', expiresAt: 3000 }));
    const failure = new Error('boom');
    await expect(
      h.storage.transaction(async (tx) => {
        await tx.accessTokens.revokeGrantlessByClient('client-1', 1000, 'client deleted');
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect((await h.storage.accessTokens.get('at-cc'))?.revokedAt).toBeNull();
    expect(await feed(h)).toEqual([]);
  });

  it('grants.revokeByUser also revokes the user\'s tokens on no grant (ID-JAG) with their events', async () => {
    await h.storage.grants.create(grant({ id: 'grt_alice', userId: 'usr_alice' }));
    await h.storage.accessTokens.create(accessToken({ jti: 'at-granted', grantId: 'grt_alice', userId: 'usr_alice', expiresAt: 2000 }));
    await h.storage.accessTokens.create(accessToken({ jti: 'at-jag', grantId: null, userId: 'usr_alice', clientId: 'partner-app', expiresAt: 2500 }));
    await h.storage.accessTokens.create(accessToken({ jti: 'at-jag-bob', grantId: null, userId: 'usr_bob', clientId: 'partner-app', expiresAt: 2500 }));
    await h.storage.accessTokens.create(accessToken({ jti: 'at-cc', grantId: null, userId: null, clientId: 'partner-app', expiresAt: 2500 }));
    await h.storage.accessTokens.create(accessToken({ jti: 'at-jag-expired', grantId: null, userId: 'usr_alice', clientId: 'partner-app', expiresAt: 500 }));

    expect(await h.storage.grants.revokeByUser('usr_alice', 1000, 'user disabled')).toEqual(['grt_alice']);
    expect((await h.storage.accessTokens.get('at-jag'))?.revokedAt).toBe(1000);
    // Live tokens only: the already expired one is left untouched (and has no event: length below).
    expect((await h.storage.accessTokens.get('at-jag-expired'))?.revokedAt).toBeNull();
    expect((await h.storage.accessTokens.get('at-jag-bob'))?.revokedAt).toBeNull();
    expect((await h.storage.accessTokens.get('at-cc'))?.revokedAt).toBeNull();
    const events = await feed(h);
    expect(events).toContainEqual({ jti: 'at-jag', grantId: null, expiresAt: 2500, reason: 'user disabled' });
    expect(events).toContainEqual({ jti: 'at-granted', grantId: null, expiresAt: 2000, reason: 'user disabled' });
    expect(events).toContainEqual({ jti: null, grantId: 'grt_alice', expiresAt: 2000, reason: 'user disabled' });
    expect(events).toHaveLength(3);
    // A user with no grant at all still has their grant-less tokens revoked.
    expect(await h.storage.grants.revokeByUser('usr_bob', 1100, 'user disabled')).toEqual([]);
    expect((await h.storage.accessTokens.get('at-jag-bob'))?.revokedAt).toBe(1100);
  });

  it('grants.revokeByAgent revokes the agent client\'s live grant-less tokens only', async () => {
    await h.storage.agents.create(agent());
    await h.storage.accessTokens.create(accessToken({ jti: 'at-cc-live', grantId: null, userId: null, clientId: 'agent-client', expiresAt: 2000 }));
    await h.storage.accessTokens.create(accessToken({ jti: 'at-cc-expired', grantId: null, userId: null, clientId: 'agent-client', expiresAt: 500 }));

    expect(await h.storage.grants.revokeByAgent('agt_1', 1000, 'agent suspended')).toEqual([]);
    expect((await h.storage.accessTokens.get('at-cc-live'))?.revokedAt).toBe(1000);
    expect((await h.storage.accessTokens.get('at-cc-expired'))?.revokedAt).toBeNull();
    expect(await feed(h)).toEqual([{ jti: 'at-cc-live', grantId: null, expiresAt: 2000, reason: 'agent suspended' }]);
  });
});
