/**
 * Two creates of the same email (users) or client_id (clients) at once, on PostgreSQL: both
 * check "nothing there" before either inserts (steered: each waits after its check until the
 * other got there). The unique index refuses the second insert, answered with the same 400 as a
 * sequential duplicate, never a 500 (whose log line would carry the driver's message, the email).
 * SQLite runs one write transaction at a time: there the check sees the first create.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../../src/storage/storage.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { hookTransactions, settledOrTimeout } from '../helpers/transaction-hooks.ts';
import { admin, mintToken, startAdminServer } from './support.ts';

/** Transactions wait after their duplicate check of `key` until `parties` of them did it (or 2 s). */
function barrier(storage: Storage, key: string, parties = 2): () => void {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const wait = async <T>(read: Promise<T>): Promise<T> => {
    const value = await read;
    if (++arrived >= parties) open();
    await settledOrTimeout(opened, 2000);
    return value;
  };
  return hookTransactions(storage, (tx) => ({
    users: { ...tx.users, getByEmail: (email) => (email === key ? wait(tx.users.getByEmail(email)) : tx.users.getByEmail(email)) },
    clients: { ...tx.clients, get: (clientId) => (clientId === key ? wait(tx.clients.get(clientId)) : tx.clients.get(clientId)) },
  }));
}

describe('concurrent admin creates of one email / client_id (postgres)', () => {
  let s: TestServer;
  let token: string;
  beforeAll(async () => {
    s = await startAdminServer({}, 'postgres');
    token = (await mintToken(s)).token;
  });
  afterAll(() => s.close());

  async function twice(path: string, body: unknown, key: string) {
    const undo = barrier(s.server.ctx.storage, key);
    try {
      const results = await Promise.all([admin(s, token, 'POST', path, body), admin(s, token, 'POST', path, body)]);
      return results.sort((a, b) => a.status - b.status);
    } finally {
      undo();
    }
  }

  it('POST /users: one 201, one 400 invalid_request as for a sequential duplicate', async () => {
    const [created, refused] = await twice('/users', { email: 'twice@example.com', name: 'Twice', password: 'twice-password-123', generate_totp: false }, 'twice@example.com');
    expect(created!.status).toBe(201);
    expect(refused!.status).toBe(400);
    expect(refused!.json.error).toBe('invalid_request');
    const sequential = await admin(s, token, 'POST', '/users', { email: 'twice@example.com', name: 'Twice', password: 'twice-password-123' });
    expect(sequential.status).toBe(400);
    expect(refused!.json).toEqual(sequential.json);
  });

  it('POST /clients: one 201, one 400 invalid_request as for a sequential duplicate', async () => {
    const body = { client_id: 'twice-app', redirect_uris: ['https://twice.example.com/cb'] };
    const [created, refused] = await twice('/clients', body, 'twice-app');
    expect(created!.status).toBe(201);
    expect(refused!.status).toBe(400);
    expect(refused!.json.error).toBe('invalid_request');
    const sequential = await admin(s, token, 'POST', '/clients', body);
    expect(sequential.status).toBe(400);
    expect(refused!.json).toEqual(sequential.json);
  });
});
