/**
 * After a deprovisioning commits (ID-2): revoke the user's linked accounts at their providers
 * (RFC 7009) and forget them. account/deprovision.ts already marked every entry `revoked` inside
 * the caller's transaction — nothing is released from that instant — but network calls do not
 * belong in a transaction, and the provider still honours the tokens until told otherwise.
 *
 * Never fails the deprovisioning: a provider that cannot be reached leaves its entry `revoked`
 * with `revocation_failed:<code>` (unlinking again retries), and the failure is logged with
 * counts and error codes only — no token, no secret, no storage error text.
 */
import type { ServerContext } from '../context.ts';

export async function revokeVaultAfterDeprovisioning(ctx: Pick<ServerContext, 'vault' | 'logger'>, userId: string): Promise<void> {
  try {
    const { unlinked, revocationFailed } = await ctx.vault.unlinkAllForUser(userId);
    if (revocationFailed > 0) ctx.logger.warn({ userId, unlinked, revocationFailed }, 'vault: provider revocation failed for some linked accounts of a deprovisioned user');
  } catch (err) {
    const code = (err as { code?: unknown })?.code;
    ctx.logger.error({ userId, code: typeof code === 'string' ? code : (err as Error)?.name ?? 'error' }, 'vault: unlinking the accounts of a deprovisioned user failed');
  }
}
