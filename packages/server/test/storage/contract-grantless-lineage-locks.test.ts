/**
 * CO-1 bulk revocations of tokens on no grant with what was exchanged from them
 * (repositories/derived-grants.ts): several live tokens of one owner, each exchanged; and on
 * PostgreSQL the lock order against issuers (READ COMMITTED) — every tree a client deletion or a
 * deprovisioning revokes is locked up front, before any event takes the audit lock
 * (grants.lockClientTrees / lockUserTrees), and a user's revocation reaches a grant exchanged from
 * the user's token on no grant while the user's walk ran (grants.revokeByUser).
 */
import { describe, expect, it } from 'vitest';
import { deleteClient } from '../../src/clients/lifecycle.ts';
import { deprovisionUser } from '../../src/account/deprovision.ts';
import type { AuditEventInput } from '../../src/storage/records.ts';
import { BACKENDS, accessToken, agent, client, grant, refreshToken, useStorage, user, type StorageHandle } from './fixtures.ts';
import { holdTransaction, waitForLockWaiters } from './lock-wait.ts';

const AT = 1_700_000_100;

/** An issuer's audit event (a refresh of D: grants/refresh-token/rotate.ts), after its grant ancestry. */
const REFRESHED: AuditEventInput = { event: 'token_refreshed', userId: null, clientId: 'client-2', result: 'success', data: { grant_id: 'grt_d' } };

/** A live token on no grant of `clientId` (client_credentials), exchanged into `grantId` (another client's, no parent), which has its own token. */
async function exchangedCc(h: StorageHandle, jti: string, clientId: string, grantId: string): Promise<void> {
  await h.storage.accessTokens.create(accessToken({ jti, grantId: null, clientId, userId: null }));
  await h.storage.grants.create(grant({ id: grantId, parentGrantId: null, subjectTokenJti: jti, clientId: 'client-2', userId: null }));
  await h.storage.refreshTokens.create(refreshToken({ tokenHash: `rt-${grantId}`, id: `rt_${grantId}`, grantId }));
  await h.storage.accessTokens.create(accessToken({ jti: `at-${grantId}`, grantId, clientId: 'client-2' }));
}

async function expectRevoked(h: StorageHandle, grants: string[], jtis: string[]): Promise<void> {
  for (const id of grants) expect((await h.storage.grants.get(id))?.revokedAt, id).toBe(AT);
  for (const jti of jtis) expect((await h.storage.accessTokens.get(jti))?.revokedAt, jti).toBe(AT);
  const events = await h.storage.revocations.list({});
  expect(events.filter((e) => e.grantId !== null).map((e) => e.grantId).sort()).toEqual([...grants].sort());
  expect(events.filter((e) => e.jti !== null).map((e) => e.jti).sort()).toEqual([...jtis].sort());
}

describe.each(BACKENDS)('grant-less revocations of several exchanged tokens (%s)', (backend) => {
  const h = useStorage(backend);

  it('CO-1: client deletion revokes the trees exchanged from each of two live client_credentials tokens', async () => {
    await exchangedCc(h, 'at-cc1', 'svc', 'grt_d1');
    await exchangedCc(h, 'at-cc2', 'svc', 'grt_d2');
    expect(await h.storage.accessTokens.revokeGrantlessByClient('svc', AT, 'client deleted')).toBe(2);
    await expectRevoked(h, ['grt_d1', 'grt_d2'], ['at-cc1', 'at-cc2', 'at-grt_d1', 'at-grt_d2']);
  });

  it('CO-1: agent suspension and deprovisioning lock and revoke the trees exchanged from each of two live tokens of the agent\'s client', async () => {
    await h.storage.users.create(user());
    await h.storage.agents.create(agent({ clientId: 'svc' }));
    await exchangedCc(h, 'at-cc1', 'svc', 'grt_d1');
    await exchangedCc(h, 'at-cc2', 'svc', 'grt_d2');
    await h.storage.transaction((tx) => tx.grants.lockUserTrees('usr_alice', AT));
    await h.storage.transaction((tx) => tx.grants.lockClientTrees('svc', AT));
    expect((await h.storage.grants.revokeByAgent('agt_1', AT, 'agent suspended')).sort()).toEqual(['grt_d1', 'grt_d2']);
    await expectRevoked(h, ['grt_d1', 'grt_d2'], ['at-cc1', 'at-cc2', 'at-grt_d1', 'at-grt_d2']);
  });
});

describe('grant-less revocations racing issuers: lock order (postgres)', () => {
  const h = useStorage('postgres');

  it('CO-1: revokeByUser revokes a grant exchanged from the user\'s token on no grant by an exchange committing during the revocation, with its events', async () => {
    await h.storage.accessTokens.create(accessToken({ jti: 'at-u', grantId: null, clientId: 'idp-client' })); // ID-JAG: user usr_alice, no grant
    let revocation: Promise<string[]> | undefined;
    // E: an exchange of at-u (token-exchange/issue.ts: the subject token `for share`, then its grant).
    await h.storage.transaction(async (tx) => {
      await tx.accessTokens.getForShare('at-u');
      await tx.grants.create(grant({ id: 'grt_e', userId: 'usr_alice', subjectTokenJti: 'at-u', parentGrantId: null, clientId: 'client-2' }));
      await tx.accessTokens.create(accessToken({ jti: 'at-grt_e', grantId: 'grt_e', clientId: 'client-2' }));
      revocation = h.storage.grants.revokeByUser('usr_alice', AT, 'password changed');
      revocation.catch(() => undefined); // awaited below
      await waitForLockWaiters(h); // the revocation waits for at-u
    });
    expect(await revocation).toEqual(['grt_e']);
    await expectRevoked(h, ['grt_e'], ['at-u', 'at-grt_e']);
  });

  it('CO-1: client deletion locks the trees exchanged from its tokens on no grant before its first events — an issuer holding one and then appending finishes, no deadlock', async () => {
    await h.storage.clients.create(client({ clientId: 'svc' }));
    await h.storage.grants.create(grant({ id: 'grt_svc', clientId: 'svc' }));
    await h.storage.accessTokens.create(accessToken({ jti: 'at-svc', grantId: 'grt_svc', clientId: 'svc' }));
    await exchangedCc(h, 'at-cc', 'svc', 'grt_d');
    // T2: a refresh of D — its ancestry `for share`, then (after the deletion has started) its audit event.
    const t2 = holdTransaction(h, async (tx) => void (await tx.grants.lockAncestry('grt_d')), (tx) => tx.audit.append(REFRESHED, AT).then(() => undefined));
    await t2.ready;
    const deletion = h.storage.transaction(async (tx) => {
      await tx.clients.getForUpdate('svc');
      return deleteClient({ storage: tx, now: () => AT }, 'svc', 'client deleted');
    });
    deletion.catch(() => undefined);
    await waitForLockWaiters(h); // the deletion waits for grt_d — before, it had appended grt_svc's events (the audit lock) first
    t2.release();
    await t2.done;
    expect(await deletion).toBe(true);
    await expectRevoked(h, ['grt_d', 'grt_svc'], ['at-cc', 'at-grt_d', 'at-svc']);
  });

  it('ID-2: deprovisioning locks the trees exchanged from every agent client\'s tokens on no grant up front — an issuer holding one of the second agent\'s and then appending finishes', async () => {
    await h.storage.users.create(user());
    await h.storage.agents.create(agent({ id: 'agt_1', clientId: 'svc1', createdAt: 1_700_000_000 }));
    await h.storage.agents.create(agent({ id: 'agt_2', clientId: 'svc2', createdAt: 1_700_000_001 }));
    await h.storage.grants.create(grant({ id: 'grt_1', agentId: 'agt_1' })); // agt_1's revocation appends events: the audit lock
    await exchangedCc(h, 'at-cc2', 'svc2', 'grt_d');
    const t2 = holdTransaction(h, async (tx) => void (await tx.grants.lockAncestry('grt_d')), (tx) => tx.audit.append(REFRESHED, AT).then(() => undefined));
    await t2.ready;
    const deprovisioning = h.storage.transaction(async (tx) => deprovisionUser({ storage: tx, now: () => AT }, (await tx.users.getForUpdate('usr_alice'))!, 'disabled'));
    deprovisioning.catch(() => undefined);
    await waitForLockWaiters(h); // before, agt_1's events took the audit lock and agt_2's revocation then waited for grt_d
    t2.release();
    await t2.done;
    expect([...(await deprovisioning).revokedGrants].sort()).toEqual(['grt_1', 'grt_d']);
    await expectRevoked(h, ['grt_1', 'grt_d'], ['at-cc2', 'at-grt_d']);
  });
});
