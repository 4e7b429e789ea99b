/**
 * RFC 7636 §4.6: the server recomputes the challenge from the verifier and compares.
 * Only S256 exists here (`plain` is refused at /authorize, OAuth 2.1 §4.1.1).
 */
import { InvalidGrantError } from '@mandate/protocol';
import type { AuthorizationCodeRecord } from '../../storage/records.ts';
import { constantTimeEqual, sha256 } from '../../crypto/hash.ts';

export function checkPkce(code: Pick<AuthorizationCodeRecord, 'codeChallenge' | 'codeChallengeMethod'>, codeVerifier: string): void {
  // Downgrade protection (RFC 9700 §4.8.2): a verifier for a code that had no challenge means the
  // challenge was stripped from the authorization request, so the exchange is refused.
  if (!code.codeChallenge) throw new InvalidGrantError('A code_verifier was sent but the authorization request had no code_challenge.');
  if (code.codeChallengeMethod !== 'S256') throw new InvalidGrantError('The code was issued with an unsupported code_challenge_method.');
  // S256: BASE64URL(SHA256(ASCII(code_verifier))) == code_challenge, compared in constant time.
  if (!constantTimeEqual(sha256(codeVerifier), code.codeChallenge)) {
    throw new InvalidGrantError('PKCE verification failed: code_verifier does not match the code_challenge (RFC 7636 §4.6).');
  }
}
