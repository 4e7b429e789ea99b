/**
 * RFC 9449 §4.3 (10) and §8: when the server requires a nonce, a proof without one, or with one
 * that is no longer fresh, is answered with `use_dpop_nonce` and a fresh nonce in the `DPoP-Nonce`
 * header so the client can retry at once. A nonce the client sends unasked is checked as well:
 * a client only has one because this server gave it.
 */
import type { JWTPayload } from 'jose';
import { UseDpopNonceError } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import { currentDpopNonce, isFreshDpopNonce } from '../nonce.ts';

export function checkNonce(ctx: Pick<ServerContext, 'config' | 'now'>, payload: JWTPayload, required: boolean): void {
  const nonce = payload.nonce;
  if (nonce === undefined && !required) return;
  if (nonce === undefined || !isFreshDpopNonce(ctx, nonce)) {
    const description =
      nonce === undefined
        ? 'A DPoP nonce is required: repeat the request with the nonce from the DPoP-Nonce header (RFC 9449 §8).'
        : 'The DPoP nonce is not valid or has expired: repeat the request with the nonce from the DPoP-Nonce header (RFC 9449 §8).';
    throw new UseDpopNonceError(description, { headers: { 'DPoP-Nonce': currentDpopNonce(ctx) } });
  }
}
