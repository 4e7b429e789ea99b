/**
 * CO-1 lock order and reach of the self-service revocations:
 *   - revoking a consent goes through consents.revokeWithGrants, which marks the consent first and
 *     then revokes its grants (order pinned in storage/contract-consent-revocation.test.ts), so an
 *     authorization completing under it (consents.getForShare, then the grant) is either refused
 *     or covered, and the two never lock in opposite orders;
 *   - a session is found by its handle however many sessions the user has, in one lookup
 *     (sessions.getByHandle): an old ended session whose grants live on stays revocable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId, randomToken, sha256 } from '../../src/crypto/hash.ts';
import type { SessionRecord } from '../../src/storage/records.ts';
import { sessionHandle } from '../../src/sessions/session-handle.ts';
import { adminToken, call, createGrant, createUser, ownerToken, startAgentServer, type AgentServer } from '../agents/support.ts';

let s: AgentServer;
beforeAll(async () => {
  s = await startAgentServer();
});
afterAll(() => s.close());

describe('CO-1 self-service and admin revocations', () => {
  it('CO-1: DELETE /account/v1/consents/:id revokes through consents.revokeWithGrants (consent first, then its grants)', async () => {
    const user = await createUser(s.ctx, 'consent-order@example.com');
    const token = await ownerToken(s.ctx, user, 'mandate:account');
    const consentId = randomId('cns');
    await s.ctx.storage.consents.create({ id: consentId, userId: user.id, clientId: 'web-app', scope: 'mcp:read', resources: [], authorizationDetails: null, createdAt: s.ctx.now(), revokedAt: null });
    const grant = await createGrant(s.ctx, { userId: user.id, consentId });
    const calls: string[] = [];
    const storage = s.ctx.storage;
    const transaction = storage.transaction.bind(storage);
    storage.transaction = (fn) =>
      transaction((tx) => {
        const { revokeWithGrants } = tx.consents;
        tx.consents.revokeWithGrants = (id, at, reason) => (calls.push(id), revokeWithGrants(id, at, reason));
        return fn(tx);
      });
    try {
      const res = await call(`${s.issuer}/account/v1/consents/${consentId}`, token, 'DELETE');
      expect(res.status).toBe(200);
      expect(res.json.revoked_grants).toEqual([grant.id]);
    } finally {
      storage.transaction = transaction;
    }
    expect(calls).toEqual([consentId]);
  });

  it('CO-1: an ended session behind more than 1000 newer ones is still found by its handle and its grants revoked', async () => {
    const user = await createUser(s.ctx, 'many-sessions@example.com');
    const t = s.ctx.now();
    const session = (createdAt: number, revokedAt: number | null): SessionRecord => ({ idHash: sha256(randomToken()), userId: user.id, authTime: t, acr: 'urn:mandate:acr:mfa', amr: ['pwd'], createdAt, expiresAt: t + 3600, revokedAt });
    const old = session(t - 10_000, t - 9_000); // replaced by a new login long ago; its grant lives on
    await s.ctx.storage.sessions.create(old);
    const grant = await createGrant(s.ctx, { userId: user.id, sessionIdHash: old.idHash });
    await s.ctx.storage.transaction(async (tx) => {
      for (let i = 0; i < 1001; i++) await tx.sessions.create(session(t - 5_000 + i, t - 4_000));
    });
    // Found in one indexed lookup (migration 0014), not by paging through the user's sessions.
    // The route works in a transaction (audited): its storage's sessions are the ones to watch.
    const lookups: string[] = [];
    const storage = s.ctx.storage;
    const transaction = storage.transaction.bind(storage);
    storage.transaction = (fn) =>
      transaction((tx) => {
        const { getByHandle, listForUser } = tx.sessions;
        tx.sessions.getByHandle = (userId, handle) => (lookups.push('getByHandle'), getByHandle(userId, handle));
        tx.sessions.listForUser = (userId, filter) => (lookups.push('listForUser'), listForUser(userId, filter));
        return fn(tx);
      });
    let res: Awaited<ReturnType<typeof call>>;
    try {
      res = await call(`${s.issuer}/admin/v1/users/${user.id}/sessions/${sessionHandle(old.idHash)}`, await adminToken(s.ctx), 'DELETE');
    } finally {
      storage.transaction = transaction;
    }
    expect(lookups).toEqual(['getByHandle']);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ ended: false, revoked_grants: [grant.id] });
    expect((await s.ctx.storage.grants.get(grant.id))?.revokedAt).not.toBeNull();
  });
});
