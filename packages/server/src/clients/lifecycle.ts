/**
 * Removing a client. RFC 7592 §2.3: when a client is deleted the server SHOULD immediately
 * invalidate all grants and active tokens issued to it — the admin API does the same.
 * Grants (and through revokeTree their refresh and access tokens) are revoked first, so a failure
 * half-way leaves the client in place rather than tokens without a client.
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
 * Revokes the client's grants, then — in one transaction — its tokens on no grant and the client
 * row. Introspection already counts such tokens dead once their client is gone
 * (endpoints/token-state.ts); revoking them publishes that on the feed (CO-1) for resource
 * servers that validate JWTs locally. Returns false when the client did not exist.
 */
export async function deleteClient(ctx: Pick<ServerContext, 'storage' | 'now'>, clientId: string, reason: string): Promise<boolean> {
  if (!(await ctx.storage.clients.get(clientId))) return false;
  await revokeClientGrants(ctx, clientId, reason);
  return ctx.storage.transaction(async (tx) => {
    await tx.accessTokens.revokeGrantlessByClient(clientId, ctx.now(), reason);
    return tx.clients.delete(clientId);
  });
}
