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
 * route's static-client refusal, RFC 7592's registration access token) — then, before any token
 * row is updated or any event appended (grants.lockClientTrees): every grant tree this revokes,
 * the client's and those exchanged from its grant-less tokens, in one statement, id order; then
 * those tokens' rows (`for update`, waiting out exchanges that hold one `for share`); then the
 * trees exchanged from them once more (grants those exchanges committed meanwhile). Then each of
 * the client's trees through revokeTree (its token rows, then its events: the audit advisory
 * lock), then the grant-less tokens and the trees exchanged from them (revokeGrantlessByClient:
 * all already locked here), then the client row deleted. No grant that existed at that first lock
 * is locked after the audit lock, so an issuance holding one of those grants `for share` while it
 * waits for that lock finishes first. A grant a concurrent authorization or issuance creates for
 * this client after that lock is not covered: the walk of a later tree locks it after the first
 * tree's events took the audit lock, and an issuer holding it `for share` while it waits for that
 * lock deadlocks with this deletion; PostgreSQL aborts one (40P01) and both sides retry (issuance,
 * and this deletion's callers below, with `retryOnDeadlock`). An RFC 7592 PUT takes the client row, then the audit lock of its event, so a PUT and a
 * deletion cannot wait on each other in a cycle; docs/storage-schema.md lists the lock orders. A
 * concurrent deprovisioning locks the same way (grants.lockUserTrees) and shares rows with this
 * one when its user has tokens on no grant issued through this client (ID-JAG): a grant exchanged
 * from such a token between their first steps can still make them wait on each other, so
 * PostgreSQL can pick either as deadlock victim (40P01). Everything here writes through the transaction, so the whole
 * transaction may run again — but only where it is opened: nested in a caller's transaction
 * (admin route, RFC 7592 DELETE) `storage.transaction` reuses it, and after a deadlock that one is
 * aborted, so only the caller's `inTransaction(..., { retryOnDeadlock: true })` can re-run it.
 */
export async function deleteClient(ctx: Pick<ServerContext, 'storage' | 'now'>, clientId: string, reason: string): Promise<boolean> {
  return ctx.storage.transaction(async (tx) => {
    // The client row is the caller's, already locked until commit (see the lock order above).
    await tx.grants.lockClientTrees(clientId, ctx.now());
    await revokeClientGrants({ storage: tx, now: ctx.now }, clientId, reason);
    await tx.accessTokens.revokeGrantlessByClient(clientId, ctx.now(), reason);
    return tx.clients.delete(clientId);
  });
}
