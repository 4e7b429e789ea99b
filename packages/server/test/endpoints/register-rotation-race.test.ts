/**
 * RFC 7592 §2.2 registration access token rotation is compare-and-set: a PUT checks the token
 * again inside its transaction, against the client row read `for update`. The tests hold PUTs at
 * the door of their transaction (after the first token check) so that, without that second check,
 * two PUTs with one token would both succeed (the loser's new token dead on arrival, or a leaked
 * token's holder locking the real client out), and a PUT racing a DELETE would hand out a token
 * for a deleted client. A DELETE checks its token again the same way (RFC 7592 §2.3): held after
 * its first check while a PUT rotates the token, it must not delete with the rotated-away token.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Storage } from '../../src/storage/storage.ts';
import { sha256 } from '../../src/crypto/hash.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

type Tx = <T>(fn: (tx: Storage) => Promise<T>) => Promise<T>;

/** Every transaction opened from now on first waits for `gate(n)`, n counting from 1. Returns the undo. */
function gateTransactions(storage: Storage, gate: (n: number) => Promise<void>): () => void {
  const original: Tx = storage.transaction.bind(storage);
  let opened = 0;
  const gated: Tx = async (fn) => {
    await gate(++opened);
    return original(fn);
  };
  Object.defineProperty(storage, 'transaction', { value: gated, configurable: true, writable: true });
  return () => void delete (storage as unknown as Record<string, unknown>).transaction;
}

/** A gate that opens for everyone once `count` transactions are waiting at it. */
function barrier(count: number): (n: number) => Promise<void> {
  let open!: () => void;
  const all = new Promise<void>((resolve) => (open = resolve));
  return (n) => {
    if (n >= count) open();
    return all;
  };
}

const webClient = { client_name: 'Race client', redirect_uris: ['https://race.example.com/cb'], application_type: 'web' };

describe.each(['sqlite', 'postgres'] as const)('RFC 7592 §2.2 token rotation under concurrency (%s)', (backend) => {
  let s: TestServer | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  async function registered(): Promise<{ uri: string; clientId: string; auth: Record<string, string> }> {
    s = await startTestServer({ dcr: { policy: 'open' } }, backend);
    const res = await fetch(`${s.issuer}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(webClient) });
    const r = (await res.json()) as Record<string, string>;
    return { uri: r.registration_client_uri!, clientId: r.client_id!, auth: { authorization: `Bearer ${r.registration_access_token}` } };
  }

  const put = (uri: string, auth: Record<string, string>, clientId: string, name: string) =>
    fetch(uri, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ ...webClient, client_id: clientId, client_name: name }) });

  it('two PUTs with the same token: exactly one 200 with a working token, the other 401', async () => {
    const r = await registered();
    const undo = gateTransactions(s!.server.ctx.storage, barrier(2));
    let responses: Response[];
    try {
      responses = await Promise.all([put(r.uri, r.auth, r.clientId, 'first'), put(r.uri, r.auth, r.clientId, 'second')]);
    } finally {
      undo();
    }
    expect(responses.map((res) => res.status).sort()).toEqual([200, 401]);
    const winner = responses.find((res) => res.status === 200)!;
    const loser = responses.find((res) => res.status === 401)!;
    expect(((await loser.json()) as { error: string }).error).toBe('invalid_token');
    const body = (await winner.json()) as { client_name: string; registration_access_token: string };
    const stored = await s!.server.ctx.storage.clients.get(r.clientId);
    expect(stored?.registrationAccessTokenHash).toBe(sha256(body.registration_access_token));
    expect(stored?.clientName).toBe(body.client_name);
    expect(await s!.server.ctx.storage.audit.list({ event: 'client.updated' })).toHaveLength(1);
  });

  it('a PUT whose client is deleted after its token check gets 401, not a token for a deleted client', async () => {
    const r = await registered();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let putArrived!: () => void;
    const arrived = new Promise<void>((resolve) => (putArrived = resolve));
    // The first transaction (the PUT's) waits until the DELETE has committed; the DELETE's pass.
    const undo = gateTransactions(s!.server.ctx.storage, (n) => (n === 1 ? (putArrived(), held) : Promise.resolve()));
    try {
      const pending = put(r.uri, r.auth, r.clientId, 'after delete');
      await arrived;
      expect((await fetch(r.uri, { method: 'DELETE', headers: r.auth })).status).toBe(204);
      release();
      const res = await pending;
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: string }).error).toBe('invalid_token');
    } finally {
      undo();
    }
    expect(await s!.server.ctx.storage.clients.get(r.clientId)).toBeNull();
    expect(await s!.server.ctx.storage.audit.list({ event: 'client.updated' })).toHaveLength(0);
  });

  it('a DELETE whose token a PUT rotated away after its token check gets 401, and the client survives', async () => {
    const r = await registered();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let deleteArrived!: () => void;
    const arrived = new Promise<void>((resolve) => (deleteArrived = resolve));
    // The first transaction (the DELETE's) waits until the PUT has committed; the PUT's passes.
    const undo = gateTransactions(s!.server.ctx.storage, (n) => (n === 1 ? (deleteArrived(), held) : Promise.resolve()));
    try {
      const pending = fetch(r.uri, { method: 'DELETE', headers: r.auth });
      await arrived;
      expect((await put(r.uri, r.auth, r.clientId, 'before delete')).status).toBe(200);
      release();
      const res = await pending;
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: string }).error).toBe('invalid_token');
    } finally {
      undo();
    }
    expect((await s!.server.ctx.storage.clients.get(r.clientId))?.clientName).toBe('before delete');
    expect(await s!.server.ctx.storage.audit.list({ event: 'client.deleted' })).toHaveLength(0);
  });

  it('a PUT and a DELETE with the same token: exactly one succeeds, the other gets 401', async () => {
    const r = await registered();
    const undo = gateTransactions(s!.server.ctx.storage, barrier(2));
    let updated: Response;
    let deleted: Response;
    try {
      [updated, deleted] = await Promise.all([put(r.uri, r.auth, r.clientId, 'raced'), fetch(r.uri, { method: 'DELETE', headers: r.auth })]);
    } finally {
      undo();
    }
    // The PUT first (the DELETE's token rotated away) or the DELETE first (no client to update).
    expect(['200/401', '401/204']).toContain(`${updated.status}/${deleted.status}`);
    const stored = await s!.server.ctx.storage.clients.get(r.clientId);
    if (updated.status === 200) {
      const body = (await updated.json()) as { registration_access_token: string };
      expect(stored?.registrationAccessTokenHash).toBe(sha256(body.registration_access_token));
    } else {
      expect(stored).toBeNull();
    }
  });
});
