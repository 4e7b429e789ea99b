/**
 * A PostgreSQL deadlock victim (SQLSTATE 40P01, rolled back whole) is never a 500: a transaction
 * whose callback writes only inside it runs again; any other, or a victim on its last attempt,
 * answers RFC 6749 §5.2 temporarily_unavailable (503) with Retry-After (RFC 9110 §10.2.3).
 */
import { describe, expect, it } from 'vitest';
import { TemporarilyUnavailableError } from '@mandate/protocol';
import type { ServerContext } from '../../src/context.ts';
import { inTransaction } from '../../src/grants/shared/commit.ts';
import { inTransaction as clientsInTransaction } from '../../src/clients/lifecycle.ts';

function deadlock(): Error {
  return Object.assign(new Error('deadlock detected'), { code: '40P01' });
}

/** A storage whose first `failures` transactions are deadlock victims. */
function fakeCtx(kind: 'sqlite' | 'postgres', failures: number): { ctx: ServerContext; attempts: () => number } {
  let attempts = 0;
  const storage = {
    kind,
    audit: { append: async () => undefined },
    async transaction<T>(fn: (tx: unknown) => Promise<T>): Promise<T> {
      attempts++;
      const result = await fn(storage);
      if (attempts <= failures) throw deadlock();
      return result;
    },
  };
  return { ctx: { storage, now: () => 1 } as unknown as ServerContext, attempts: () => attempts };
}

describe('PostgreSQL deadlock_detected (40P01) in a transaction', () => {
  it('RFC 6749 §5.2: a callback safe to re-run is retried and succeeds', async () => {
    const { ctx, attempts } = fakeCtx('postgres', 2);
    expect(await inTransaction(ctx, async () => 'ok', { retryOnDeadlock: true })).toBe('ok');
    expect(attempts()).toBe(3);
  });

  it('RFC 6749 §5.2: retries exhausted → temporarily_unavailable 503 with Retry-After', async () => {
    const { ctx, attempts } = fakeCtx('postgres', 10);
    const err = await inTransaction(ctx, async () => 'ok', { retryOnDeadlock: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemporarilyUnavailableError);
    expect(err).toMatchObject({ error: 'temporarily_unavailable', status: 503, headers: { 'Retry-After': '1' } });
    expect(attempts()).toBe(3);
  });

  it('RFC 6749 §5.2: without the opt-in, no re-run: temporarily_unavailable at once (both inTransaction helpers)', async () => {
    for (const run of [inTransaction, clientsInTransaction]) {
      const { ctx, attempts } = fakeCtx('postgres', 1);
      await expect(run(ctx, async () => 'ok')).rejects.toBeInstanceOf(TemporarilyUnavailableError);
      expect(attempts()).toBe(1);
    }
  });

  it('other errors pass through untouched', async () => {
    const { ctx } = fakeCtx('postgres', 0);
    const boom = new Error('boom');
    await expect(inTransaction(ctx, async () => Promise.reject(boom), { retryOnDeadlock: true })).rejects.toBe(boom);
  });
});
