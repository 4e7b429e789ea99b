/** The registration lifecycle on PostgreSQL: writes and their audit events share one transaction. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/crypto/hash.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ dcr: { policy: 'open' } }, 'postgres');
});
afterAll(() => s.close());

describe('RFC 7591 / RFC 7592 on PostgreSQL', () => {
  it('registers, reads, updates and deletes a client, auditing each step', async () => {
    const reg = await fetch(`${s.issuer}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'PG client', redirect_uris: ['https://pg.example.com/cb'], application_type: 'web' }),
    });
    expect(reg.status).toBe(201);
    const r = (await reg.json()) as Record<string, string>;
    expect((await s.server.ctx.storage.clients.get(r.client_id!))?.clientSecretHash).toBe(sha256(r.client_secret!));
    const auth = { authorization: `Bearer ${r.registration_access_token}` };
    expect((await fetch(r.registration_client_uri!, { headers: auth })).status).toBe(200);
    const put = await fetch(r.registration_client_uri!, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: r.client_id, client_name: 'PG client v2', redirect_uris: ['https://pg.example.com/cb'], application_type: 'web' }),
    });
    const updated = (await put.json()) as { client_name: string; registration_access_token: string };
    expect(updated.client_name).toBe('PG client v2');
    // RFC 7592 §2.2: the update rotated the registration access token, in the same transaction.
    expect((await s.server.ctx.storage.clients.get(r.client_id!))?.registrationAccessTokenHash).toBe(sha256(updated.registration_access_token));
    expect((await fetch(r.registration_client_uri!, { method: 'DELETE', headers: auth })).status).toBe(401);
    const rotated = { authorization: `Bearer ${updated.registration_access_token}` };
    expect((await fetch(r.registration_client_uri!, { method: 'DELETE', headers: rotated })).status).toBe(204);
    expect(await s.server.ctx.storage.clients.get(r.client_id!)).toBeNull();
    const events = (await s.server.ctx.storage.audit.list({ clientId: r.client_id! })).map((e) => e.event);
    expect(events).toEqual(['client.registered', 'client.updated', 'client.deleted']);
  });
});
