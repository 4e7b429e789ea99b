/** Admin writes on PostgreSQL: each runs in one transaction with its audit event. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/test-server.ts';
import { admin, mintToken, startAdminServer } from './support.ts';

let s: TestServer;
let token: string;
beforeAll(async () => {
  s = await startAdminServer({}, 'postgres');
  token = (await mintToken(s)).token;
});
afterAll(() => s.close());

describe('Admin API on PostgreSQL', () => {
  it('creates a client and a user, revokes a consent with its grants, rotates keys', async () => {
    expect((await admin(s, token, 'POST', '/clients', { client_id: 'pg-app', redirect_uris: ['https://pg.example.com/cb'] })).status).toBe(201);
    const user = (await admin(s, token, 'POST', '/users', { email: 'pg@example.com', name: 'PG', password: 'pg-password-123' })).json;
    const t = s.server.ctx.now();
    await s.server.ctx.storage.consents.create({ id: 'cns_pg', userId: user.id, clientId: 'pg-app', scope: 'openid', resources: [], authorizationDetails: null, createdAt: t, revokedAt: null });
    await s.server.ctx.storage.grants.create({ id: 'grt_pg', userId: user.id, clientId: 'pg-app', agentId: null, parentGrantId: null, scope: 'openid', resources: [], authorizationDetails: null, consentId: 'cns_pg', createdAt: t, revokedAt: null, revokedReason: null });
    expect((await admin(s, token, 'DELETE', '/consents/cns_pg')).json.revoked_grants).toEqual(['grt_pg']);
    expect((await admin(s, token, 'POST', '/keys/rotate')).status).toBe(201);
    expect((await admin(s, token, 'DELETE', '/clients/pg-app')).status).toBe(204);
    const events = (await admin(s, token, 'GET', '/audit-events?limit=100')).json.items.map((e: { event: string }) => e.event);
    expect(events).toEqual(['admin.createClient', 'admin.createUser', 'admin.revokeConsent', 'admin.rotateSigningKey', 'admin.deleteClient']);
  });
});
