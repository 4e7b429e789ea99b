/**
 * Admin client writes racing an RFC 7592 PUT (PostgreSQL, READ COMMITTED): clients.update writes
 * the whole row, registrationAccessTokenHash included, so every admin client write starts from
 * clients.getForUpdate. The test holds the admin write right after its read of the client while
 * an RFC 7592 PUT runs (to its commit, or until the admin write's row lock holds it, 500 ms).
 * Without the lock the admin write puts back the hash it read: the token the PUT rotated away
 * works again and the new one gets 401.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/crypto/hash.ts';
import type { Storage } from '../../src/storage/storage.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { hookTransactions, interleaveOnce } from '../helpers/transaction-hooks.ts';
import { admin, mintToken, startAdminServer } from '../admin/support.ts';

/** The next transaction that reads `clientId` runs `concurrent` right after that read, and waits for it (or 500 ms). */
function afterFirstRead(storage: Storage, clientId: string, concurrent: () => Promise<unknown>): { undo: () => void; concurrent: Promise<unknown> } {
  const once = interleaveOnce(concurrent);
  const interleave = once.after;
  const undo = hookTransactions(storage, (tx) => ({
    clients: {
      ...tx.clients,
      get: (id) => (id === clientId ? interleave(tx.clients.get(id)) : tx.clients.get(id)),
      getForUpdate: (id) => (id === clientId ? interleave(tx.clients.getForUpdate(id)) : tx.clients.getForUpdate(id)),
    },
  }));
  return { undo, get concurrent() { return once.concurrent; } };
}

const webClient = { client_name: 'Race client', redirect_uris: ['https://race.example.com/cb'], application_type: 'web' };

describe('admin client writes racing an RFC 7592 PUT (postgres)', () => {
  let s: TestServer;
  let adminToken: string;
  beforeAll(async () => {
    s = await startAdminServer({ dcr: { policy: 'open' } }, 'postgres');
    adminToken = (await mintToken(s)).token;
  });
  afterAll(() => s.close());

  async function registered(): Promise<{ uri: string; clientId: string; token: string }> {
    const res = await fetch(`${s.issuer}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(webClient) });
    const r = (await res.json()) as Record<string, string>;
    return { uri: r.registration_client_uri!, clientId: r.client_id!, token: r.registration_access_token! };
  }
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('an admin update does not write the rotated-away registration access token back', async () => {
    const r = await registered();
    let rotated: string | undefined;
    const race = afterFirstRead(s.server.ctx.storage, r.clientId, async () => {
      const res = await fetch(r.uri, { method: 'PUT', headers: { ...bearer(r.token), 'content-type': 'application/json' }, body: JSON.stringify({ ...webClient, client_id: r.clientId, client_name: 'by RFC 7592' }) });
      expect(res.status).toBe(200);
      rotated = ((await res.json()) as { registration_access_token: string }).registration_access_token;
    });
    try {
      const update = await admin(s, adminToken, 'PUT', `/clients/${r.clientId}`, { ...webClient, client_name: 'by the administrator' });
      expect(update.status).toBe(200);
      await race.concurrent;
    } finally {
      race.undo();
    }
    // The PUT waited for the admin write and then replaced its row: its token is the stored one.
    const stored = (await s.server.ctx.storage.clients.get(r.clientId))!;
    expect(stored.registrationAccessTokenHash).toBe(sha256(rotated!));
    expect(stored.clientName).toBe('by RFC 7592');
    expect((await fetch(r.uri, { headers: bearer(r.token) })).status).toBe(401);
    expect((await fetch(r.uri, { headers: bearer(rotated!) })).status).toBe(200);
  });
});
