import { InvalidRequestError } from '@mandate/protocol';
import type { AuthorizationCheck } from './check.ts';

/** RFC 7636 §4.2: BASE64URL(SHA256(verifier)) without padding is always 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/**
 * OAuth 2.1 §4.1.1 / RFC 9700 §2.1.1: every client, confidential or public, sends a PKCE code
 * challenge. Only S256 is accepted: RFC 7636 §4.3 makes `plain` the default when the method is
 * absent, so an absent method is a `plain` challenge and is refused like one.
 */
export const checkPkce: AuthorizationCheck = ({ params }, request) => {
  const challenge = params.get('code_challenge');
  const method = params.get('code_challenge_method');
  if (challenge === undefined) {
    throw new InvalidRequestError('The code_challenge parameter is required: PKCE with S256 is mandatory for every client (OAuth 2.1 §4.1.1).');
  }
  if (method === undefined) {
    throw new InvalidRequestError("The code_challenge_method parameter is required and must be 'S256'; the default 'plain' is not allowed (RFC 7636 §4.3).");
  }
  if (method !== 'S256') {
    throw new InvalidRequestError(`The code_challenge_method '${method.slice(0, 20)}' is not supported; only 'S256' is.`);
  }
  if (!S256_CHALLENGE.test(challenge)) {
    throw new InvalidRequestError('The code_challenge must be the 43-character base64url SHA-256 of the code verifier (RFC 7636 §4.2).');
  }
  request.codeChallenge = challenge;
  request.codeChallengeMethod = 'S256';
};
