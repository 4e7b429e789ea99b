/**
 * RFC 7523 §3 (4): "The authorization server MAY reject JWTs with an exp claim value that is
 * unreasonably far in the future", and (6) an `iat` in the future makes no sense. An assertion
 * is a one-time grant, not a reusable credential: its lifetime is bounded per issuer.
 */
import { InvalidGrantError } from '@mandate/protocol';
import type { JWTPayload } from 'jose';
import { ASSERTION_LEEWAY } from './verify.ts';

export function checkAssertionLifetime(payload: JWTPayload, now: number, maxLifetime: number): void {
  const exp = payload.exp as number;
  if (payload.iat !== undefined) {
    if (typeof payload.iat !== 'number' || !Number.isFinite(payload.iat)) throw new InvalidGrantError('The assertion "iat" must be a number (RFC 7519 §4.1.6).');
    if (payload.iat > now + ASSERTION_LEEWAY) throw new InvalidGrantError('The assertion "iat" is in the future; check the issuer clock (RFC 7523 §3 (6)).');
  }
  const start = typeof payload.iat === 'number' ? Math.min(payload.iat, now) : now;
  if (exp - start > maxLifetime + ASSERTION_LEEWAY) {
    throw new InvalidGrantError(`The assertion lives longer than the ${maxLifetime} seconds accepted from this issuer (RFC 7523 §3 (4)).`);
  }
}
