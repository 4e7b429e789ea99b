/**
 * `none` (RFC 7591 §2): a public client identifies itself with `client_id` alone (RFC 6749 §2.3:
 * it cannot keep a secret; PKCE and DPoP protect its grants instead).
 */
import { InvalidClientError } from '@mandate/protocol';
import type { ClientEndpoint } from './endpoints.ts';

/**
 * RFC 7662 §2.1: the introspection endpoint needs an authenticated caller, so a public client is
 * refused there. Token, PAR and revocation (RFC 7009 §2.1) accept public clients.
 */
export function checkPublicClientAllowed(endpoint: ClientEndpoint): void {
  if (endpoint === 'introspection') {
    throw new InvalidClientError('The introspection endpoint requires an authenticated client; public clients cannot introspect tokens (RFC 7662 §2.1).');
  }
  // The revocation feed (revocation/feed.ts) is for resource servers, which are confidential clients.
  if (endpoint === 'revocationFeed') throw new InvalidClientError('The revocation feed requires an authenticated client; public clients cannot read it.');
}
