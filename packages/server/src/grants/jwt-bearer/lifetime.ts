/**
 * RFC 7523 §3 (4): "The authorization server MAY reject JWTs with an exp claim value that is
 * unreasonably far in the future", and (6) an `iat` in the future makes no sense. An assertion
 * is a one-time grant, not a reusable credential: its lifetime is bounded per issuer.
 *
 * The one rule for every assertion this server accepts: jwt-bearer grants (invalid_grant), and at
 * token exchange federated subject tokens and agents' actor tokens (RFC 8693 §2.2.2:
 * invalid_request). The lifetime is measured from the earlier of `iat` and now, so an `iat` in the
 * future cannot stretch it, and the clock leeway that lets an `iat` be slightly ahead is granted to
 * the bound as well: a signer whose clock runs a little fast is accepted by both checks or neither.
 */
import { InvalidGrantError } from '@mandate/protocol';
import type { JWTPayload } from 'jose';
import { ASSERTION_LEEWAY } from './verify.ts';

/** How a refusal names the JWT and which OAuth error carries it. */
export interface LifetimeRefusal {
  what: string;
  Refusal: new (message: string) => Error;
}

const GRANT_ASSERTION: LifetimeRefusal = { what: 'assertion', Refusal: InvalidGrantError };

export function checkAssertionLifetime(payload: JWTPayload, now: number, maxLifetime: number, refusal: LifetimeRefusal = GRANT_ASSERTION): void {
  const { what, Refusal } = refusal;
  const exp = payload.exp as number;
  if (payload.iat !== undefined) {
    if (typeof payload.iat !== 'number' || !Number.isFinite(payload.iat)) throw new Refusal(`The ${what} "iat" must be a number (RFC 7519 §4.1.6).`);
    if (payload.iat > now + ASSERTION_LEEWAY) throw new Refusal(`The ${what} "iat" is in the future; check the issuer clock (RFC 7523 §3 (6)).`);
  }
  const start = typeof payload.iat === 'number' ? Math.min(payload.iat, now) : now;
  if (exp - start > maxLifetime + ASSERTION_LEEWAY) {
    throw new Refusal(`The ${what} lives longer than the ${maxLifetime} seconds accepted for it (RFC 7523 §3 (4)).`);
  }
}
