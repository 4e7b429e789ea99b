/**
 * The absolute lifetime of a refresh token family (RFC 9700 §4.14.2, OAuth 2.1 §4.3): rotation
 * gives every successor a fresh `ttl.refreshToken`, so without an end a client that keeps
 * refreshing keeps its grant for ever. A family starts when its grant was created (one grant per
 * authorization); an exchanged grant's family is its root user grant's (token exchange must not
 * restart the clock). Past `ttl.refreshTokenAbsolute` the refresh is refused and nothing rotated.
 * Successors are already capped at that end (tokens/refresh-token.ts); this check also stops
 * tokens stored before the cap existed, whose own expiry can be later.
 *
 * The grant is not revoked: reaching the end is no sign of theft (unlike reuse), its access
 * tokens run out within `ttl.accessToken` anyway, and a refused request should not write. The
 * grant then holds no usable token and the maintenance sweep purges it like any expired one.
 */
import { InvalidGrantError } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import type { GrantRecord } from '../../storage/records.ts';
import { refreshFamilyEnd } from '../../tokens/refresh-token.ts';
import { isBroken, liveAncestors } from '../token-exchange/grant-tree.ts';

export function checkRefreshFamilyLifetime(ctx: Pick<ServerContext, 'config' | 'now'>, grantId: string, familyStartedAt: number): void {
  const end = refreshFamilyEnd(ctx.config, familyStartedAt);
  if (ctx.now() >= end) {
    throw new InvalidGrantError('The grant of this refresh token has reached its maximum lifetime; the user must authorize again.', {
      detail: `grant ${grantId} refresh family started ${familyStartedAt}, ended ${end}`,
    });
  }
}

/**
 * When the refresh family of `grant` began: the creation of the user grant at the root of its
 * tree, i.e. its last ancestor (parent first, root last, as liveAncestors walks them), or the
 * grant's own creation when it has none. The one formula for every caller: the token endpoint,
 * introspection and token exchange must agree on a family's end.
 */
export function familyStartOf(grant: Pick<GrantRecord, 'createdAt'>, ancestors: readonly Pick<GrantRecord, 'createdAt'>[]): number {
  return ancestors[ancestors.length - 1]?.createdAt ?? grant.createdAt;
}

/**
 * When the family of a refresh token of `grant` began; null when the grant's ancestry is broken
 * (an ancestor revoked or missing: no refresh of it would be accepted). For introspection, which
 * must agree with the token endpoint (endpoints/token-state.ts).
 */
export async function refreshFamilyStart(ctx: Pick<ServerContext, 'storage'>, grant: GrantRecord): Promise<number | null> {
  const ancestors = await liveAncestors(ctx, grant.parentGrantId); // none, and nothing read, for a user grant
  return isBroken(ancestors) ? null : familyStartOf(grant, ancestors);
}
