/**
 * `none` (RFC 7591 §2): a public client identifies itself with `client_id` alone (RFC 6749 §2.3:
 * it cannot keep a secret; PKCE and DPoP protect its grants instead).
 */
import type { ClientEndpoint } from './endpoints.ts';
import { clientAuthenticationFailed } from './failure.ts';

/**
 * RFC 7662 §2.1: the introspection endpoint needs an authenticated caller, so a public client is
 * refused there. Token, PAR and revocation (RFC 7009 §2.1) accept public clients.
 * Refused like an unknown client (failure.ts): a precise answer to a bare client_id would tell
 * anyone that the client exists and is public. The reason is kept for the audit row.
 */
export function checkPublicClientAllowed(endpoint: ClientEndpoint): void {
  if (endpoint === 'introspection') {
    throw clientAuthenticationFailed('public client at the introspection endpoint, which requires an authenticated client (RFC 7662 §2.1)');
  }
  // The revocation feed (revocation/feed.ts) is for resource servers, which are confidential clients.
  if (endpoint === 'revocationFeed') throw clientAuthenticationFailed('public client at the revocation feed, which requires an authenticated client');
}
