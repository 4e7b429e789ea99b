/**
 * RFC 9449 §4.3 checks on the JOSE header of a DPoP proof, done before any signature work so a
 * malformed proof costs nothing and gets a precise description.
 */
import { decodeProtectedHeader, type JWK, type ProtectedHeaderParameters } from 'jose';
import { ASYMMETRIC_JWS_ALGS, InvalidDpopProofError } from '@mandate/protocol';
import { publicJwkProblem } from '../public-jwk.ts';

/** Generous for an RSA-4096 key in the header; anything larger is not a DPoP proof. */
export const MAX_PROOF_LENGTH = 8192;

/**
 * §4.3 (2): a single, well-formed compact JWS. An empty signature part passes this shape check
 * only so that an unsecured (`alg: none`) proof is refused by name in checkAlg.
 */
export function checkWellFormed(proof: string | undefined): { proof: string; header: ProtectedHeaderParameters } {
  if (proof === undefined || proof === '') throw new InvalidDpopProofError('A DPoP proof is required (RFC 9449 §4): send it in the DPoP header.');
  if (proof.length > MAX_PROOF_LENGTH) throw new InvalidDpopProofError(`The DPoP proof is longer than ${MAX_PROOF_LENGTH} characters.`);
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(proof)) {
    throw new InvalidDpopProofError('The DPoP proof is not a compact JWS (three base64url parts separated by dots).');
  }
  try {
    return { proof, header: decodeProtectedHeader(proof) };
  } catch {
    throw new InvalidDpopProofError('The DPoP proof header is not valid base64url-encoded JSON.');
  }
}

/** §4.3 (4): `typ` is `dpop+jwt` (media types compare case-insensitively, RFC 7515 §4.1.9). */
export function checkTyp(header: ProtectedHeaderParameters): void {
  if (typeof header.typ !== 'string' || header.typ.toLowerCase().replace(/^application\//, '') !== 'dpop+jwt') {
    throw new InvalidDpopProofError('The DPoP proof must have the JOSE header "typ": "dpop+jwt" (RFC 9449 §4.2).');
  }
}

/**
 * The algorithms accepted: the configured list (published as dpop_signing_alg_values_supported),
 * intersected with the asymmetric algorithms, so a configuration mistake can never enable
 * `none` or an HMAC algorithm.
 */
export function dpopSigningAlgs(configured: readonly string[]): string[] {
  const asymmetric = new Set<string>(ASYMMETRIC_JWS_ALGS);
  return configured.filter((alg) => asymmetric.has(alg));
}

/** §4.3 (5): a registered asymmetric algorithm, not `none`, accepted by this server. */
export function checkAlg(header: ProtectedHeaderParameters, allowed: readonly string[]): string {
  const alg = header.alg;
  if (typeof alg !== 'string' || !allowed.includes(alg)) {
    const shown = typeof alg === 'string' ? `"${alg.slice(0, 20)}"` : 'missing';
    throw new InvalidDpopProofError(`The DPoP proof algorithm (alg ${shown}) is not accepted; use one of ${allowed.join(', ')} (RFC 9449 §4.3).`);
  }
  return alg;
}

/** §4.2 / §4.3 (7): the `jwk` header is present and holds a public asymmetric key only. */
export function checkPublicJwk(header: ProtectedHeaderParameters): JWK {
  if (header.jwk === undefined) throw new InvalidDpopProofError('The DPoP proof has no "jwk" header: the public key must be included (RFC 9449 §4.2).');
  const problem = publicJwkProblem(header.jwk);
  if (problem) throw new InvalidDpopProofError(`The DPoP proof "jwk" header ${problem}; it must be a public asymmetric key (RFC 9449 §4.3).`);
  return structuredClone(header.jwk) as JWK;
}
