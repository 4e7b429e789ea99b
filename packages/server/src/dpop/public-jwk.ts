/**
 * Keys that may verify a client's signature (DPoP proofs, client assertions) must be public,
 * asymmetric keys. RFC 9449 §4.3 (7): the DPoP `jwk` header must not contain a private key; a
 * symmetric (`oct`) key would let anyone who saw it forge proofs (and is how "HS256 signed with
 * the public key" attacks start).
 */

/** Members that only private or symmetric JWKs have (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'] as const;

/** Asymmetric key types usable for JWS signatures. */
export const ASYMMETRIC_KTY = new Set(['EC', 'RSA', 'OKP']);

/** The reason a JWK is not an acceptable public signature key, or null when it is. */
export function publicJwkProblem(jwk: unknown): string | null {
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) return 'is not a JSON object';
  const record = jwk as Record<string, unknown>;
  if (typeof record.kty !== 'string') return 'has no "kty"';
  if (record.kty === 'oct') return 'is a symmetric key ("kty": "oct")';
  if (!ASYMMETRIC_KTY.has(record.kty)) return `has an unsupported key type "${record.kty}"`;
  const found = PRIVATE_MEMBERS.find((m) => m in record);
  if (found) return `contains the private key member "${found}"`;
  return null;
}
