/**
 * RFC 9449 §11.1: a proof is accepted once. Its `jti` is remembered per key for as long as its
 * `iat` could still pass the window check (twice the window covers both directions), after which
 * the iat check alone refuses it. Done last, so only proofs that passed every other check take
 * space in the cache.
 */
import { InvalidDpopProofError } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';

export async function checkReplay(ctx: Pick<ServerContext, 'storage' | 'now'>, jkt: string, jti: string, iat: number, window: number): Promise<void> {
  const now = ctx.now();
  const expiresAt = Math.max(Math.ceil(iat), now) + window * 2;
  const first = await ctx.storage.replay.remember('dpop', `${jkt}:${jti}`, expiresAt, now);
  if (!first) throw new InvalidDpopProofError('The DPoP proof has already been used (jti replay); create a fresh proof for every request (RFC 9449 §11.1).');
}
