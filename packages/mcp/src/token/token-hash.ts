import { createHash } from 'node:crypto';

/**
 * SHA-256 of a token's text, base64url: the DPoP `ath` (RFC 9449 §4.2), and the key under which
 * a token's introspection answer or downstream tokens are kept, so the token itself is not.
 */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
