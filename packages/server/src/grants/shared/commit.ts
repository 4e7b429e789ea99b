/**
 * Issuance writes (refresh token rotation, new refresh token, access token row, audit event)
 * happen in one storage transaction: if any of them fails, none is kept, so a client never
 * loses its refresh token without receiving the successor, and nothing is issued unaudited.
 */
import type { AuditLog, ServerContext } from '../../context.ts';
import type { Storage } from '../../storage/storage.ts';

/** Runs `fn` with a context whose storage and audit log write inside one transaction. */
export function inTransaction<T>(ctx: ServerContext, fn: (txCtx: ServerContext) => Promise<T>): Promise<T> {
  return ctx.storage.transaction((tx) => fn({ ...ctx, storage: tx, audit: transactionalAudit(tx, ctx.now) }));
}

function transactionalAudit(tx: Storage, now: () => number): AuditLog {
  return {
    async record(event) {
      await tx.audit.append(event, now());
    },
  };
}
