/**
 * Issuance writes (refresh token rotation, new refresh token, access token row, audit event)
 * happen in one storage transaction: if any of them fails, none is kept, so a client never
 * loses its refresh token without receiving the successor, and nothing is issued unaudited.
 *
 * PostgreSQL may still pick a transaction as a deadlock victim (SQLSTATE 40P01) when lock orders
 * cross (every path takes agent → grants → tokens, but the database is the last judge). The
 * victim's transaction is rolled back whole, so a callback that writes only through `txCtx` and
 * leaves nothing outside it can simply run again: callers that are such say `retryOnDeadlock`.
 * Any other caller, and a victim after its last attempt, gets RFC 6749 §5.2 / §4.1.2.1
 * `temporarily_unavailable` (503, Retry-After: RFC 9110 §10.2.3) rather than a 500.
 */
import { TemporarilyUnavailableError } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import { createAuditLog } from '../../audit/log.ts';
import type { Storage } from '../../storage/storage.ts';

/** Attempts in all for a callback that is safe to re-run (its first one included). */
const DEADLOCK_ATTEMPTS = 3;

export interface TransactionOptions {
  /** The callback writes only inside the transaction (no outside state, no hooks collected): it may run again. */
  retryOnDeadlock?: boolean;
}

/** Runs `fn` with a context whose storage and audit log write inside one transaction. */
export function inTransaction<T>(ctx: ServerContext, fn: (txCtx: ServerContext) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  return withDeadlockRetry(ctx.storage, options, () => ctx.storage.transaction((tx) => fn({ ...ctx, storage: tx, audit: createAuditLog(tx, ctx.now) })));
}

/** Runs one whole transaction (`run`), again on a PostgreSQL deadlock when allowed; else 503 (see above). */
async function withDeadlockRetry<T>(storage: Pick<Storage, 'kind'>, options: TransactionOptions, run: () => Promise<T>): Promise<T> {
  const attempts = options.retryOnDeadlock && storage.kind === 'postgres' ? DEADLOCK_ATTEMPTS : 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (!isDeadlock(err)) throw err;
      if (attempt < attempts) continue;
      throw new TemporarilyUnavailableError('The server is busy; try again.', { detail: 'deadlock_detected (40P01)', headers: { 'Retry-After': '1' }, cause: err });
    }
  }
}

/** PostgreSQL's deadlock_detected, however the driver wrapped it. */
function isDeadlock(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === '40P01') return true;
  }
  return false;
}
