/**
 * Tokens derive from a grant that rests on a user's consent (CO-1): once the grant is revoked or
 * the user disabled, nothing more is issued from it, whatever code or refresh token is presented.
 */
import { InvalidGrantError } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import type { GrantRecord } from '../../storage/records.ts';

export async function checkGrantActive(ctx: ServerContext, grantId: string): Promise<GrantRecord> {
  const grant = await ctx.storage.grants.get(grantId);
  if (!grant || grant.revokedAt !== null) throw new InvalidGrantError('The authorization grant has been revoked.', { detail: `grant ${grantId} ${grant ? `revoked: ${grant.revokedReason ?? ''}` : 'missing'}` });
  return grant;
}

export async function checkUserActive(ctx: ServerContext, userId: string | null): Promise<void> {
  if (userId === null) return;
  const user = await ctx.storage.users.get(userId);
  if (!user || user.disabled) throw new InvalidGrantError('The user of this grant is disabled or no longer exists.', { detail: `user ${userId}` });
}
