/**
 * DPoP proof verification, RFC 9449 §4.3, as a table of checks. Each step is one small function
 * in ./checks, numbered after the list in §4.3:
 *
 *   (1)  one DPoP header                       header.ts (readDpopHeader)
 *   (2)  a single well-formed JWT              checks/header.ts checkWellFormed
 *   (4)  typ = dpop+jwt                        checks/header.ts checkTyp
 *   (5)  asymmetric, accepted alg              checks/header.ts checkAlg
 *   (7)  jwk header is a public key            checks/header.ts checkPublicJwk
 *   (6)  signature verifies with that jwk      checks/signature.ts
 *   (3)  required claims (jti; others below)   checks/claims.ts checkJti
 *   (8)  htm                                   checks/claims.ts checkHtm
 *   (9)  htu                                   checks/claims.ts checkHtu
 *   (11) iat within the window                 checks/claims.ts checkIat
 *   (10) server nonce                          checks/nonce.ts
 *   (12) ath and the bound key                 checks/claims.ts checkAth, checks/bound-key.ts
 *   §11.1 jti not replayed                     checks/replay.ts
 */
import type { JWK } from 'jose';
import type { ServerContext } from '../context.ts';
import { checkAlg, checkPublicJwk, checkTyp, checkWellFormed, dpopSigningAlgs } from './checks/header.ts';
import { checkSignature } from './checks/signature.ts';
import { checkAth, checkHtm, checkHtu, checkIat, checkJti } from './checks/claims.ts';
import { checkNonce } from './checks/nonce.ts';
import { checkBoundKey } from './checks/bound-key.ts';
import { checkReplay } from './checks/replay.ts';
import { jwkThumbprint } from './jkt.ts';

export interface DpopProofInput {
  /** The DPoP header value (read it with readDpopHeader, which refuses several headers). */
  proof: string | undefined;
  /** The HTTP method of the request. */
  htm: string;
  /** The endpoint URL as the client addressed it, without query or fragment. */
  htu: string;
  /** When the proof accompanies an access token: `ath` must be its hash. */
  accessToken?: string;
  /** The thumbprint the grant or token is already bound to; null or absent when unbound. */
  expectedJkt?: string | null;
  /** Require a server nonce; defaults to ctx.config.dpop.requireNonce. */
  requireNonce?: boolean;
}

export interface DpopProof {
  /** RFC 7638 SHA-256 thumbprint of the proof key: the `cnf.jkt` of tokens bound to it. */
  jkt: string;
  /** The proof's public key. */
  jwk: JWK;
}

export async function verifyDpopProof(ctx: ServerContext, input: DpopProofInput): Promise<DpopProof> {
  const { iatWindow } = ctx.config.dpop;
  const { proof, header } = checkWellFormed(input.proof);
  checkTyp(header);
  const alg = checkAlg(header, dpopSigningAlgs(ctx.config.dpop.algs));
  const jwk = checkPublicJwk(header);
  const payload = await checkSignature(proof, alg, ctx.now());
  const jti = checkJti(payload);
  checkHtm(payload, input.htm);
  checkHtu(payload, input.htu);
  const iat = checkIat(payload, ctx.now(), iatWindow);
  checkNonce(ctx, payload, input.requireNonce ?? ctx.config.dpop.requireNonce);
  checkAth(payload, input.accessToken);
  const jkt = await jwkThumbprint(jwk);
  checkBoundKey(jkt, input.expectedJkt, input.accessToken !== undefined);
  await checkReplay(ctx, jkt, jti, iat, iatWindow);
  return { jkt, jwk };
}
