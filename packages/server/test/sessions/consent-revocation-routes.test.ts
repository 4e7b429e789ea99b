/**
 * CO-1 consent revocation through both APIs (admin DELETE /admin/v1/consents/:id, the user's
 * DELETE /account/v1/consents/:id), one storage call (consents.revokeWithGrants):
 *   - the consent, its grants' trees and the audit event commit together or not at all;
 *   - the account API's boolean query flags take exactly "true" / "false".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../../src/crypto/hash.ts';
import type { ConsentRecord, UserRecord } from '../../src/storage/records.ts';
import { adminToken, call, createGrant, createUser, grantToken, isActive, ownerToken, startAgentServer, type AgentServer } from '../agents/support.ts';

let s: AgentServer;
beforeAll(async () => {
  s = await startAgentServer();
});
afterAll(() => s.close());

async function consentWithTokens(user: UserRecord): Promise<{ consent: ConsentRecord; childGrantId: string; childToken: string }> {
  const consent: ConsentRecord = { id: randomId('cns'), userId: user.id, clientId: 'owner-app', scope: 'mcp:read', resources: [], authorizationDetails: null, createdAt: s.ctx.now(), revokedAt: null };
  await s.ctx.storage.consents.create(consent);
  const root = await createGrant(s.ctx, { userId: user.id, consentId: consent.id });
  const child = await createGrant(s.ctx, { userId: user.id, parentGrantId: root.id });
  return { consent, childGrantId: child.id, childToken: (await grantToken(s.ctx, child)).token };
}

/** Runs `fn` with every audit append of a storage transaction failing. */
async function withFailingAudit<T>(fn: () => Promise<T>): Promise<T> {
  const storage = s.ctx.storage;
  const transaction = storage.transaction.bind(storage);
  storage.transaction = (inner) =>
    transaction((tx) => {
      tx.audit.append = () => Promise.reject(new Error('audit store down'));
      return inner(tx);
    });
  try {
    return await fn();
  } finally {
    storage.transaction = transaction;
  }
}

describe('CO-1 consent revocation routes', () => {
  const routes = [
    { api: 'admin', url: (id: string) => `${s.issuer}/admin/v1/consents/${id}`, token: () => adminToken(s.ctx) },
    { api: 'account', url: (id: string) => `${s.issuer}/account/v1/consents/${id}`, token: (user: UserRecord) => ownerToken(s.ctx, user, 'mandate:account') },
  ];

  it.each(routes)('$api: a failure before commit (the audit event) leaves the consent, its grants and tokens live', async ({ api, url, token }) => {
    const user = await createUser(s.ctx, `atomic-${api}@example.com`);
    const bearer = await token(user);
    const { consent, childGrantId, childToken } = await consentWithTokens(user);
    const failed = await withFailingAudit(() => call(url(consent.id), bearer, 'DELETE'));
    expect(failed.status).toBe(500);
    expect((await s.ctx.storage.consents.get(consent.id))?.revokedAt).toBeNull();
    expect((await s.ctx.storage.grants.get(childGrantId))?.revokedAt).toBeNull();
    expect(await isActive(s, childToken)).toBe(true);

    const res = await call(url(consent.id), bearer, 'DELETE');
    expect(res.status).toBe(200);
    expect(res.json.revoked_grants).toHaveLength(2);
    expect((await s.ctx.storage.consents.get(consent.id))?.revokedAt).not.toBeNull();
    expect(await isActive(s, childToken)).toBe(false);
  });

  it('account: include_revoked is exactly "true" or "false"; anything else is invalid_request', async () => {
    const user = await createUser(s.ctx, 'flags@example.com');
    const bearer = await ownerToken(s.ctx, user, 'mandate:account');
    for (const ok of ['true', 'false']) expect((await call(`${s.issuer}/account/v1/consents?include_revoked=${ok}`, bearer, 'GET')).status).toBe(200);
    for (const bad of ['TRUE', '1', 'yes', '', 'maybe']) {
      const res = await call(`${s.issuer}/account/v1/consents?include_revoked=${bad}`, bearer, 'GET');
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ error: 'invalid_request', error_description: 'Invalid query.include_revoked: expected "true" or "false".' });
    }
  });
});
