/**
 * RFC 9449 §4.3 (6): the proof's signature verifies with the key in its own `jwk` header.
 * jose does the JWS work (EmbeddedJWK imports the header key and refuses private keys too).
 */
import { EmbeddedJWK, errors, jwtVerify, type JWTPayload } from 'jose';
import { InvalidDpopProofError } from '@mandate/protocol';

export async function checkSignature(proof: string, alg: string, now: number): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: [alg],
      // jose checks exp/nbf when a proof carries them; the proof's age is checked on iat below.
      currentDate: new Date(now * 1000),
    });
    return payload;
  } catch (err) {
    throw new InvalidDpopProofError(describeFailure(err), { detail: err instanceof Error ? err.message : String(err) });
  }
}

function describeFailure(err: unknown): string {
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'The DPoP proof signature does not verify with the key in its "jwk" header.';
  if (err instanceof errors.JWTExpired) return 'The DPoP proof has expired.';
  if (err instanceof errors.JWTClaimValidationFailed) return `The DPoP proof "${err.claim}" claim is invalid.`;
  if (err instanceof errors.JWTInvalid) return 'The DPoP proof payload is not a JSON object of JWT claims.';
  if (err instanceof errors.JOSENotSupported || err instanceof errors.JWKInvalid || err instanceof errors.JWSInvalid) {
    return 'The DPoP proof "jwk" header is not a usable public key for its "alg".';
  }
  return 'The DPoP proof could not be verified.';
}
