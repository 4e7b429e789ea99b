/**
 * An agent's public keys (the JWK Set its actor tokens are verified with, RFC 7523 §3) must be
 * usable before they are stored: a key jose cannot import would only fail later, at the first
 * token exchange. The shape (asymmetric kty, no private members) is checked by schemas.ts.
 */
import { importJWK, type JWK } from 'jose';
import { InvalidRequestError } from '@mandate/protocol';
import type { AgentRecord } from '../storage/records.ts';

/** The JWS algorithm a key is for: its `alg`, or the one its type and curve imply (RFC 7518 §3.1, RFC 8037 §3.1). */
function algorithmFor(key: Record<string, unknown>): string | undefined {
  if (typeof key.alg === 'string') return key.alg;
  if (key.kty === 'RSA') return 'RS256';
  if (key.kty === 'OKP') return key.crv === 'Ed25519' ? 'EdDSA' : undefined;
  return ({ 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' } as Record<string, string>)[String(key.crv)];
}

export async function checkAgentKeys(jwks: AgentRecord['jwks']): Promise<void> {
  if (!jwks) return;
  for (const [i, key] of jwks.keys.entries()) {
    // RFC 7517 §4.2: a key marked for encryption must not verify signatures.
    if (key.use !== undefined && key.use !== 'sig') throw new InvalidRequestError(`Invalid body.jwks.keys.${i}: "use" must be "sig".`);
    const alg = algorithmFor(key);
    if (!alg) throw new InvalidRequestError(`Invalid body.jwks.keys.${i}: unsupported key type or curve.`);
    try {
      await importJWK(key as JWK, alg);
    } catch {
      throw new InvalidRequestError(`Invalid body.jwks.keys.${i}: not a valid ${alg} public key.`);
    }
  }
}
