/**
 * Bad input never escapes as anything but an OAuth error (RFC 9449 §4.3: invalid_dpop_proof or
 * use_dpop_nonce): arbitrary strings, and well-signed proofs whose header and claims are arbitrary.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { isOAuthError } from '@mandate/protocol';
import { verifyDpopProof } from '../../src/dpop/index.ts';
import { startHarness, type Harness } from './harness.ts';
import { proofKey, type ProofKey } from './proofs.ts';

let h: Harness;
let key: ProofKey;
beforeAll(async () => {
  h = await startHarness();
  key = await proofKey();
});
afterAll(async () => {
  await h?.close();
});

async function outcome(proof: string): Promise<'accepted' | string> {
  try {
    await verifyDpopProof(h.ctx, { proof, htm: 'POST', htu: h.url('/token') });
    return 'accepted';
  } catch (err) {
    if (!isOAuthError(err)) throw err;
    return err.error;
  }
}

const jsonValue = fc.jsonValue({ maxDepth: 2 });

describe('RFC 9449 §4.3 robustness against arbitrary proofs', () => {
  it('answers arbitrary strings with invalid_dpop_proof', async () => {
    const part = fc.string({ unit: fc.constantFrom(...'ABCabc012-_.=+/ e'.split('')), maxLength: 40 });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 200 }), fc.tuple(part, part, part).map((p) => p.join('.'))), async (proof) => {
        expect(await outcome(proof)).toBe('invalid_dpop_proof');
      }),
      { numRuns: 300 },
    );
  });

  it('never accepts a signed proof with arbitrary header members and claims unless every check holds', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ typ: fc.option(fc.constantFrom('dpop+jwt', 'JWT', 'x'), { nil: undefined }), jwk: fc.option(jsonValue, { nil: undefined }), extra: jsonValue }),
        fc.record({ jti: jsonValue, htm: fc.constantFrom('POST', 'GET', 1), htu: fc.constantFrom(h.url('/token'), 'x', 2), iat: fc.oneof(fc.integer(), fc.constant(Math.floor(Date.now() / 1000))), nonce: fc.option(jsonValue, { nil: undefined }) }),
        async (header, claims) => {
          const protectedHeader: Record<string, unknown> = { alg: 'ES256', typ: header.typ, jwk: header.jwk ?? key.jwk, x: header.extra };
          const proof = await new SignJWT(claims as Record<string, unknown>).setProtectedHeader(protectedHeader as { alg: string }).sign(key.privateKey);
          const result = await outcome(proof);
          expect(['accepted', 'invalid_dpop_proof', 'use_dpop_nonce']).toContain(result);
          if (result === 'accepted') {
            expect(header.typ).toBe('dpop+jwt');
            expect(claims.htm).toBe('POST');
            expect(claims.htu).toBe(h.url('/token'));
            expect(typeof claims.jti).toBe('string');
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
