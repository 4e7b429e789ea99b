/**
 * Passwords set through the admin API and SCIM are hashed (scrypt, tens of ms) before the write's
 * storage transaction begins: on SQLite an open transaction holds the one connection, so a hash
 * inside it would queue every other statement of the server behind it.
 *
 * How it is observed: the test holds every scrypt slot (crypto/password.ts SCRYPT_CONCURRENCY), so
 * the request's hash waits in the queue, and counts the server's open transactions at that moment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCRYPT_CONCURRENCY, verifyPassword } from '../../src/crypto/password.ts';
import { countOpenTransactions } from '../helpers/transaction-hooks.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { admin } from '../admin/support.ts';
import { ADMIN_CLI, clientToken, IDP, newUser, patchOps, scim, startScimServer, type ScimResult } from './support.ts';

let s: TestServer;
let scimToken: string;
let adminToken: string;
let transactions: ReturnType<typeof countOpenTransactions>;

beforeAll(async () => {
  s = await startScimServer();
  scimToken = await clientToken(s, IDP, 'mandate:scim');
  adminToken = await clientToken(s, ADMIN_CLI, 'mandate:admin');
  transactions = countOpenTransactions(s.server.ctx.storage);
});
afterAll(async () => {
  transactions.undo();
  await s.close();
});

/** Whichever comes first: `pending` waits for a scrypt slot (a hash), or it ends without one. */
async function hashOrEnd(pending: Promise<unknown>): Promise<'hash' | 'end'> {
  let ended = false;
  void pending.then(() => (ended = true), () => (ended = true));
  while (SCRYPT_CONCURRENCY.waiting === 0) {
    if (ended) return 'end';
    await new Promise((resolve) => setImmediate(resolve));
  }
  return 'hash';
}

/**
 * Sends the request with every scrypt slot held, so a hash it starts waits; returns what came
 * first, the transactions open at that moment, and the request's result (the slots released).
 */
async function withScryptHeld<T>(send: () => Promise<T>): Promise<{ first: 'hash' | 'end'; openWhileHashing: number; result: T }> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const held = Array.from({ length: SCRYPT_CONCURRENCY.limit }, () => SCRYPT_CONCURRENCY.run(() => gate));
  try {
    const pending = send();
    const first = await hashOrEnd(pending);
    const openWhileHashing = transactions.open;
    release();
    return { first, openWhileHashing, result: await pending };
  } finally {
    release();
    await Promise.all(held);
  }
}

/** withScryptHeld for a request that hashes a password: fails if it ends without one. */
async function whileHashWaits<T>(send: () => Promise<T>): Promise<{ openWhileHashing: number; result: T }> {
  const { first, openWhileHashing, result } = await withScryptHeld(send);
  expect(first).toBe('hash');
  return { openWhileHashing, result };
}

async function storedHash(userId: string): Promise<string | null> {
  return (await s.server.ctx.storage.users.get(userId))?.passwordHash ?? null;
}

async function scimUser(userName: string, password?: string): Promise<string> {
  const created = await scim(s, scimToken, 'POST', '/Users', newUser(userName, password ? { password } : {}));
  expect(created.status).toBe(201);
  return created.json.id as string;
}

describe('password hashing runs before the write transaction begins', () => {
  it('admin API user create', async () => {
    const password = 'admin-created 0123456789';
    const { openWhileHashing, result } = await whileHashWaits(() => admin(s, adminToken, 'POST', '/users', { email: 'admin-made@example.com', name: 'Admin Made', password }));
    expect(openWhileHashing).toBe(0);
    expect(result.status).toBe(201);
    expect(await verifyPassword(password, (await storedHash(result.json.id))!)).toBe(true);
  });

  it('admin API user create with a taken email: refused before any hash', async () => {
    const taken = await admin(s, adminToken, 'POST', '/users', { email: 'taken@example.com', name: 'Taken', password: 'first-password 0123456789' });
    expect(taken.status).toBe(201);
    const { first, result: again } = await withScryptHeld(() => admin(s, adminToken, 'POST', '/users', { email: 'Taken@example.com', name: 'Again', password: 'second-password 0123456789' }));
    expect(first).toBe('end');
    expect(again.status).toBe(400);
    expect(again.json.error).toBe('invalid_request');
  });

  it('SCIM POST /Users', async () => {
    const password = 'scim-created 0123456789';
    const { openWhileHashing, result } = await whileHashWaits<ScimResult>(() => scim(s, scimToken, 'POST', '/Users', newUser('scim-made@example.com', { password })));
    expect(openWhileHashing).toBe(0);
    expect(result.status).toBe(201);
    expect(await verifyPassword(password, (await storedHash(result.json.id))!)).toBe(true);
  });

  it('SCIM PUT /Users/{id} with a password', async () => {
    const id = await scimUser('scim-put@example.com', 'old-password 0123456789');
    const password = 'put-password 0123456789';
    const { openWhileHashing, result } = await whileHashWaits<ScimResult>(() => scim(s, scimToken, 'PUT', `/Users/${id}`, newUser('scim-put@example.com', { password })));
    expect(openWhileHashing).toBe(0);
    expect(result.status).toBe(200);
    expect(await verifyPassword(password, (await storedHash(id))!)).toBe(true);
  });

  it('SCIM PUT /Users/{id} without a password keeps the stored hash', async () => {
    const id = await scimUser('scim-put-keep@example.com', 'kept-password 0123456789');
    const before = await storedHash(id);
    const put = await scim(s, scimToken, 'PUT', `/Users/${id}`, newUser('scim-put-keep@example.com', { displayName: 'Renamed' }));
    expect(put.status).toBe(200);
    expect(await storedHash(id)).toBe(before);
  });

  it('SCIM PATCH /Users/{id} setting the password', async () => {
    const id = await scimUser('scim-patch@example.com', 'old-password 0123456789');
    const password = 'patch-password 0123456789';
    const { openWhileHashing, result } = await whileHashWaits<ScimResult>(() =>
      scim(s, scimToken, 'PATCH', `/Users/${id}`, patchOps({ op: 'replace', value: { displayName: 'Patched', password } })),
    );
    expect(openWhileHashing).toBe(0);
    expect(result.status).toBe(200);
    expect(result.json.displayName).toBe('Patched');
    expect(await verifyPassword(password, (await storedHash(id))!)).toBe(true);
  });

  it('SCIM POST of a taken userName, PUT and PATCH of an unknown user: refused before any hash', async () => {
    await scimUser('scim-taken@example.com');
    const refused = [
      () => scim(s, scimToken, 'POST', '/Users', newUser('scim-taken@example.com', { password: 'never-hashed 0123456789' })),
      () => scim(s, scimToken, 'PUT', '/Users/usr_unknown', newUser('nobody@example.com', { password: 'never-hashed 0123456789' })),
      () => scim(s, scimToken, 'PATCH', '/Users/usr_unknown', patchOps({ op: 'replace', path: 'password', value: 'never-hashed 0123456789' })),
    ];
    const outcomes = [];
    for (const send of refused) {
      const { first, result } = await withScryptHeld(send);
      outcomes.push([first, result.status]);
    }
    expect(outcomes).toEqual([['end', 409], ['end', 404], ['end', 404]]);
  });
});
