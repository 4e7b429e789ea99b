/**
 * Removing a client. RFC 7592 §2.3: when a client is deleted the server SHOULD immediately
 * invalidate all grants and active tokens issued to it — the admin API does the same.
 * Grants (and through revokeTree their refresh and access tokens) are revoked first, in the same
 * transaction as the client row, so a failure half-way leaves the client and its tokens as they were.
 */
import type { ServerContext } from '../context.ts';

/** The change and its audit event in one transaction (grants/shared/commit.ts), for the admin and account routes. */
export { inTransaction } from '../grants/shared/commit.ts';

const PAGE = 200;
/** Guards against a storage that would keep listing grants it reports as revoked. */
const MAX_PAGES = 10_000;

/** Revokes every live grant of a client. Returns how many grant trees were revoked. */
export async function revokeClientGrants(ctx: Pick<ServerContext, 'storage' | 'now'>, clientId: string, reason: string): Promise<number> {
  let revoked = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    const grants = await ctx.storage.grants.list({ clientId, includeRevoked: false, limit: PAGE, offset: 0 });
    if (grants.length === 0) return revoked;
    for (const grant of grants) {
      await ctx.storage.grants.revokeTree(grant.id, ctx.now(), reason);
      revoked += 1;
    }
  }
  return revoked;
}

/**
 * Revokes the client's grants, its tokens on no grant — with the trees exchanged from them, often
 * another client's (CO-1, storage/repositories/derived-grants.ts) — and deletes the client row,
 * all in one transaction through its storage. Introspection already counts grant-less tokens dead
 * once their client is gone (endpoints/token-state.ts); revoking them publishes that on the feed
 * (CO-1) for resource servers that validate JWTs locally. Returns false when the client did not exist.
 * Call it with the client row read FOR UPDATE in the caller's transaction.
 *
 * PostgreSQL lock order: the client row first — locked by the caller (clients.getForUpdate) in the
 * transaction this runs in, having checked what it may delete against that very row (the admin
 * route's static-client refusal, RFC 7592's registration access token) — then per tree grants →
 * token rows → audit advisory lock (the revocation events), then the trees exchanged from its
 * grant-less tokens → those tokens' rows → audit lock — the order of an RFC 7592 PUT too
 * (client row, then the audit lock of its event), so a PUT and a deletion cannot wait on each
 * other in a cycle; docs/storage-schema.md lists the lock orders. A concurrent deprovisioning
 * may hold the audit lock from an earlier tree and then want a token row taken here (an ID-JAG
 * token of its user issued through this client), so PostgreSQL can pick either as deadlock
 * victim (40P01). Everything here writes through the transaction, so the whole
 * transaction may run again — but only where it is opened: nested in a caller's transaction
 * (admin route, RFC 7592 DELETE) `storage.transaction` reuses it, and after a deadlock that one is
 * aborted, so only the caller's `inTransaction(..., { retryOnDeadlock: true })` can re-run it.
 */
export async function deleteClient(ctx: Pick<ServerContext, 'storage' | 'now'>, clientId: string, reason: string): Promise<boolean> {
  return ctx.storage.transaction(async (tx) => {
    // The client row is the caller's, already locked until commit (see the lock order above).
    await revokeClientGrants({ storage: tx, now: ctx.now }, clientId, reason);
    await tx.accessTokens.revokeGrantlessByClient(clientId, ctx.now(), reason);
    return tx.clients.delete(clientId);
  });
}
