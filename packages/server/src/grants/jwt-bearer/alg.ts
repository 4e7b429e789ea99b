/**
 * Only the asymmetric algorithms configured for the issuer (RFC 8725 §3.1, §3.2): `none` would
 * need no key, and an HMAC "keyed" with a public key is a classic forgery. Checked before any key
 * is looked up, so such a JWT never reaches a verifier.
 */
import { InvalidGrantError } from '@mandate/protocol';
import type { JWTHeaderParameters } from 'jose';

export function checkAssertionAlg(header: JWTHeaderParameters, allowed: readonly string[]): void {
  const alg: unknown = header.alg;
  if (typeof alg !== 'string' || !allowed.includes(alg)) {
    const shown = typeof alg === 'string' ? `"${alg.slice(0, 20)}"` : 'missing';
    throw new InvalidGrantError(`The assertion algorithm (alg ${shown}) is not accepted from this issuer; accepted: ${allowed.join(', ')}.`);
  }
}
