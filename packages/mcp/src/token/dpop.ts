/**
 * DPoP proof checks at a resource server, RFC 9449 §7.1 and §4.3, as a table:
 *   one DPoP header, a JWT                   §4.3 (1)(2)
 *   typ dpop+jwt, asymmetric allowed alg      §4.3 (4)(5)
 *   jwk header is a public key; signature     §4.3 (6)(7)
 *   jti present, not replayed                 §4.3 (3), §11.1
 *   htm = request method, htu = request URL   §4.3 (8)(9)
 *   iat within the window                     §4.3 (11)
 *   nonce, when required                      §4.3 (10), §9
 *   ath = hash of the access token            §4.3 (12)
 *   jwk thumbprint = the token's cnf.jkt      §7.1
 */
import { calculateJwkThumbprint, decodeProtectedHeader, errors, importJWK, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { DpopCapacityError, InvalidDpopProofError, UseDpopNonceError } from '../core/errors.ts';
import type { DpopNonces } from './dpop-nonce.ts';
import type { ReplayCache } from './replay-cache.ts';
import { tokenHash } from './token-hash.ts';

export interface DpopCheck {
  proof: string | undefined;
  method: string;
  url: string;
  accessToken: string;
  jkt: string | undefined;
}

export interface DpopSettings {
  algs: string[];
  iatWindowSeconds: number;
  replay: ReplayCache;
  nonces: DpopNonces | undefined;
  now: () => number;
}

/** §4.3 (9): compare without query and fragment (RFC 9449 §4.3 and RFC 3986 normalisation). */
export function normalizeHtu(url: string): string | undefined {
  try {
    const u = new URL(url);
    // The URL parser lower-cases scheme and host and drops a default port.
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return undefined;
  }
}

function checkHeader(proof: string, algs: string[]): JWK {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw new InvalidDpopProofError('the DPoP proof is not a JWT');
  }
  if (header.typ !== 'dpop+jwt') throw new InvalidDpopProofError('the DPoP proof typ must be dpop+jwt');
  if (typeof header.alg !== 'string' || !algs.includes(header.alg)) throw new InvalidDpopProofError('the DPoP proof algorithm is not allowed');
  const jwk = header.jwk;
  if (!jwk || typeof jwk !== 'object' || 'd' in jwk || 'k' in jwk) throw new InvalidDpopProofError('the DPoP proof jwk must be a public key');
  return jwk as JWK;
}

async function checkSignature(proof: string, jwk: JWK, algs: string[]): Promise<JWTPayload> {
  try {
    const key = await importJWK(jwk, String(decodeProtectedHeader(proof).alg));
    const { payload } = await jwtVerify(proof, key, { algorithms: algs, typ: 'dpop+jwt' });
    return payload;
  } catch (err) {
    throw new InvalidDpopProofError(err instanceof errors.JOSEError ? 'the DPoP proof signature is invalid' : 'the DPoP proof key is invalid');
  }
}

export async function verifyDpop(c: DpopCheck, s: DpopSettings): Promise<void> {
  if (c.proof === undefined) throw new InvalidDpopProofError('a DPoP proof is required with a DPoP-bound access token');
  // §4.3 (1): one DPoP header; several arrive joined by commas (RFC 9110 §5.3), a JWT has none.
  if (/[\s,]/.test(c.proof)) throw new InvalidDpopProofError('exactly one DPoP proof is allowed');
  const jwk = checkHeader(c.proof, s.algs);
  const p = await checkSignature(c.proof, jwk, s.algs);
  const now = s.now();
  if (typeof p.jti !== 'string' || p.jti === '') throw new InvalidDpopProofError('the DPoP proof has no jti');
  if (p.htm !== c.method) throw new InvalidDpopProofError('the DPoP proof htm does not match the request method');
  if (typeof p.htu !== 'string' || normalizeHtu(p.htu) !== normalizeHtu(c.url)) throw new InvalidDpopProofError('the DPoP proof htu does not match the request URL');
  if (typeof p.iat !== 'number' || Math.abs(p.iat - now) > s.iatWindowSeconds) throw new InvalidDpopProofError('the DPoP proof iat is outside the accepted window');
  if (s.nonces && !s.nonces.valid(p.nonce, now)) throw new UseDpopNonceError('the DPoP proof must carry the server nonce');
  if (p.ath !== tokenHash(c.accessToken)) throw new InvalidDpopProofError('the DPoP proof ath does not match the access token');
  const jkt = await calculateJwkThumbprint(jwk, 'sha256');
  if (c.jkt === undefined || jkt !== c.jkt) throw new InvalidDpopProofError('the DPoP proof key is not the key the access token is bound to');
  const verdict = s.replay.use(jkt, p.jti, p.iat + s.iatWindowSeconds, now);
  if (verdict === 'replayed') throw new InvalidDpopProofError('the DPoP proof was already used');
  // No room to remember this proof without forgetting a live one (replay-cache.ts): refused, not
  // accepted unrecorded. invalid_dpop_proof, not use_dpop_nonce: a nonce would not make room, and
  // the MCP SDK client has no DPoP support to act on either; a DPoP client retries with a new proof.
  if (verdict === 'no_room') throw new DpopCapacityError('too many unexpired DPoP proofs; retry later with a new proof', s.replay.full ? 'cache' : 'key');
}
