/** DPoP (RFC 9449): what endpoints use. */
export { verifyDpopProof, type DpopProof, type DpopProofInput } from './verify.ts';
export { readDpopHeader } from './header.ts';
export { currentDpopNonce, isFreshDpopNonce, DPOP_NONCE_SLOT_SECONDS } from './nonce.ts';
export { readDpopJktParameter, checkDpopJktMatchesProof, isJwkThumbprint, jwkThumbprint } from './jkt.ts';
export { normalizeHtu, htuMatches } from './htu.ts';
export { dpopSigningAlgs } from './checks/header.ts';
export { accessTokenHash } from './checks/claims.ts';
