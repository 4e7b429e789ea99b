/**
 * DPoP at the token endpoint (RFC 9449 §5): the proof is verified once by the endpoint; grants
 * use the result to bind access tokens (`cnf.jkt`), to honour a code's `dpop_jkt` (§10) and to
 * bind public clients' refresh tokens to the proof key.
 */
import type { Context } from 'hono';
import { InvalidDpopProofError, InvalidGrantError } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import type { ClientRecord } from '../../storage/records.ts';
import { endpointUrl, Paths } from '../../endpoints/paths.ts';
import { constantTimeEqual } from '../../crypto/hash.ts';
import { readDpopHeader, verifyDpopProof } from '../../dpop/index.ts';
import type { DpopKey } from '../types.ts';

/** Verifies the request's DPoP proof; null when there is none and the client does not require one. */
export async function tokenEndpointDpop(ctx: ServerContext, c: Context, client: ClientRecord): Promise<DpopKey | null> {
  const proof = readDpopHeader(c);
  if (proof === undefined) {
    // RFC 9449 §5.2: dpop_bound_access_tokens=true means every token request carries a proof.
    if (client.dpopBoundAccessTokens) throw new InvalidDpopProofError('This client is registered with dpop_bound_access_tokens: a DPoP proof is required.');
    return null;
  }
  const { jkt, jwk } = await verifyDpopProof(ctx, {
    proof,
    htm: 'POST',
    htu: endpointUrl(ctx.config.issuer, Paths.token),
    requireNonce: ctx.config.dpop.requireNonce,
  });
  return { jkt, jwk };
}

/**
 * A code bound with dpop_jkt (RFC 9449 §10) or a key-bound refresh token (§5) is usable only with
 * a proof of that key. No proof: invalid_dpop_proof; a proof of another key: invalid_grant.
 */
export function checkKeyBinding(dpop: DpopKey | null, boundJkt: string | null, what: string): void {
  if (boundJkt === null) return;
  if (dpop === null) throw new InvalidDpopProofError(`The ${what} is bound to a DPoP key: send a DPoP proof signed with that key.`);
  if (!constantTimeEqual(dpop.jkt, boundJkt)) throw new InvalidGrantError(`The DPoP proof key is not the key the ${what} is bound to.`);
}

/**
 * RFC 9449 §5: refresh tokens issued to public clients are bound to the proof key (they have no
 * other sender constraint). Confidential clients' refresh tokens are bound by client authentication.
 */
export function refreshTokenJkt(client: ClientRecord, dpop: DpopKey | null, previous: string | null = null): string | null {
  if (client.tokenEndpointAuthMethod !== 'none') return null;
  return previous ?? dpop?.jkt ?? null;
}
