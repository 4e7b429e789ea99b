/**
 * writePrepared (scim/handler.ts): slow work is prepared before the write's transaction; when the
 * transaction finds that the preparation does not fit (a User PATCH whose password
 * patchedPassword read differently from applyPatch), it throws PrepareAgain: the transaction
 * rolls back, the preparation is redone outside any transaction, and the write runs once more.
 * Driven through a route on a real server context, with a real SCIM token.
 */
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrepareAgain, scimHandler, writePrepared } from '../../src/scim/handler.ts';
import { scimJson } from '../../src/scim/errors.ts';
import { countOpenTransactions } from '../helpers/transaction-hooks.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { createUser } from '../token/fixtures.ts';
import { clientToken, IDP, SCIM_TYPE, startScimServer } from './support.ts';

let s: TestServer;
let token: string;
let transactions: ReturnType<typeof countOpenTransactions>;

beforeAll(async () => {
  s = await startScimServer();
  token = await clientToken(s, IDP, 'mandate:scim');
  transactions = countOpenTransactions(s.server.ctx.storage);
});
afterAll(async () => {
  transactions.undo();
  await s.close();
});

interface Prepared {
  label: string;
  round: number;
  /** Transactions open while this preparation ran. */
  openWhilePreparing: number;
}

/** A write that asks to be prepared again `times` times; each attempt first writes a user named after its round. */
function app(times: number): Hono {
  const ctx = s.server.ctx;
  const a = new Hono();
  a.post('/write', scimHandler(ctx, async (c) => {
    const result = await writePrepared(
      ctx,
      c,
      async (body): Promise<Prepared> => ({ label: String(body.label), round: 1, openWhilePreparing: transactions.open }),
      async (w, prepared) => {
        await createUser(w.ctx, `${prepared.label}-round-${prepared.round}@example.com`, 'Attempt');
        if (prepared.round <= times) throw new PrepareAgain(async (): Promise<Prepared> => ({ ...prepared, round: prepared.round + 1, openWhilePreparing: transactions.open }));
        return prepared;
      },
    );
    return scimJson({ ...result }, 200);
  }));
  return a;
}

async function write(times: number, label: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await app(times).request('/write', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': SCIM_TYPE }, body: JSON.stringify({ label }) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const stored = async (email: string) => (await s.server.ctx.storage.users.getByEmail(email)) !== null;

describe('writePrepared: PrepareAgain', () => {
  it('rolls the first transaction back, prepares again outside any transaction, and writes once', async () => {
    const res = await write(1, 'again');
    expect(res).toEqual({ status: 200, json: { label: 'again', round: 2, openWhilePreparing: 0 } });
    expect([await stored('again-round-1@example.com'), await stored('again-round-2@example.com')]).toEqual([false, true]);
  });

  it('prepares again only once: a second PrepareAgain fails the write with 409 (send it again), which leaves nothing', async () => {
    const res = await write(2, 'twice');
    // A writer racing this one twice is not a fault of the server: 409, never a 500.
    expect(res.status).toBe(409);
    expect(res.json).toMatchObject({ status: '409', detail: 'The resource changed while the request was processed; send it again.' });
    expect([await stored('twice-round-1@example.com'), await stored('twice-round-2@example.com')]).toEqual([false, false]);
  });
});
