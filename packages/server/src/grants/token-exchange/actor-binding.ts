/**
 * A DPoP-bound access token (RFC 9449 §6.1 `cnf.jkt`) presented as the actor_token is used like any
 * bound token (RFC 9449 §7.1): only together with a proof of its key. Without that, whoever copied
 * the agent's client credentials token could make the agent the actor of its own exchanges. The
 * token endpoint verified the proof (req.dpop); this compares its key with the token's binding.
 */
import type { JWTPayload } from 'jose';
import { InvalidDpopProofError, InvalidRequestError } from '@mandate/protocol';
import { constantTimeEqual } from '../../crypto/hash.ts';
import type { DpopKey } from '../types.ts';

export function checkActorKeyBinding(claims: JWTPayload, dpop: DpopKey | null): void {
  const cnf = claims.cnf as { jkt?: unknown } | undefined;
  if (typeof cnf?.jkt !== 'string') return;
  if (dpop === null) throw new InvalidDpopProofError('The actor_token is DPoP-bound: send a DPoP proof signed with its key (RFC 9449 §7.1).');
  if (!constantTimeEqual(dpop.jkt, cnf.jkt)) throw new InvalidRequestError('The DPoP proof key is not the key the actor_token is bound to.');
}
