/**
 * Each deletion and deprovisioning locks its row once, first, in its transaction (the lock order
 * of docs/storage-schema.md: user row → client row → agents → grants → token rows → audit lock).
 * The route that checks what it may change against the locked row holds that lock: client
 * deletion (admin route, RFC 7592 DELETE: clients/lifecycle.ts deleteClient) and deprovisioning
 * (admin disable, SCIM active=false and DELETE: account/deprovision.ts deprovisionUser) take no
 * second one. The test records the lock calls of the real storage's transactions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, TestServer } from '../helpers/test-server.ts';
import { hookTransactions } from '../helpers/transaction-hooks.ts';
import { ADMIN_CLI, clientToken, IDP, newUser, patchOps, scim, startScimServer } from '../scim/support.ts';
import { admin } from './support.ts';

describe.each(['sqlite', 'postgres'] as Backend[])('row locks taken once (%s)', (backend) => {
  let s: TestServer;
  let scimToken: string;
  let adminToken: string;
  beforeAll(async () => {
    s = await startScimServer({ dcr: { policy: 'open' } }, backend);
    scimToken = await clientToken(s, IDP, 'mandate:scim');
    adminToken = await clientToken(s, ADMIN_CLI, 'mandate:admin');
  });
  afterAll(() => s.close());

  /** The row locks and the writes after them, in call order, while `act` runs. */
  async function locksDuring(act: () => Promise<{ status: number }>, expected: number): Promise<string[]> {
    const calls: string[] = [];
    const undo = hookTransactions(s.server.ctx.storage, (tx) => ({
      users: { ...tx.users, getForUpdate: (id) => (calls.push('user row'), tx.users.getForUpdate(id)) },
      clients: {
        ...tx.clients,
        getForUpdate: (id) => (calls.push('client row'), tx.clients.getForUpdate(id)),
        delete: (id) => (calls.push('client deleted'), tx.clients.delete(id)),
      },
      grants: { ...tx.grants, lockUserTrees: (id, at) => (calls.push('user trees'), tx.grants.lockUserTrees(id, at)) },
    }));
    try {
      expect((await act()).status).toBe(expected);
    } finally {
      undo();
    }
    return calls;
  }

  const created = async (userName: string) => {
    const res = await scim(s, scimToken, 'POST', '/Users', newUser(userName));
    expect(res.status).toBe(201);
    return res.json.id as string;
  };

  it('admin DELETE /clients/:id locks the client row once, before it deletes', async () => {
    const res = await admin(s, adminToken, 'POST', '/clients', { client_name: 'Doomed', redirect_uris: ['https://doomed.example/cb'] });
    expect(res.status).toBe(201);
    const calls = await locksDuring(() => admin(s, adminToken, 'DELETE', `/clients/${res.json.client_id as string}`), 204);
    expect(calls).toEqual(['client row', 'client deleted']);
  });

  it('RFC 7592 DELETE locks the client row once, before it deletes', async () => {
    const reg = await fetch(`${s.issuer}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_name: 'Self', redirect_uris: ['https://self.example/cb'] }) });
    const r = (await reg.json()) as Record<string, string>;
    const calls = await locksDuring(() => fetch(r.registration_client_uri!, { method: 'DELETE', headers: { authorization: `Bearer ${r.registration_access_token!}` } }), 204);
    expect(calls).toEqual(['client row', 'client deleted']);
  });

  it('an admin disable locks the user row once, before the user\'s trees', async () => {
    const id = await created(`lock-once-admin-${backend}@example.com`);
    expect(await locksDuring(() => admin(s, adminToken, 'POST', `/users/${id}/disable`), 200)).toEqual(['user row', 'user trees']);
  });

  it('a SCIM deactivation (PATCH active=false, DELETE) locks the user row once, before the user\'s trees', async () => {
    const patched = await created(`lock-once-patch-${backend}@example.com`);
    expect(await locksDuring(() => scim(s, scimToken, 'PATCH', `/Users/${patched}`, patchOps({ op: 'replace', path: 'active', value: false })), 200)).toEqual(['user row', 'user trees']);
    const deleted = await created(`lock-once-delete-${backend}@example.com`);
    expect(await locksDuring(() => scim(s, scimToken, 'DELETE', `/Users/${deleted}`), 204)).toEqual(['user row', 'user trees']);
  });
});
