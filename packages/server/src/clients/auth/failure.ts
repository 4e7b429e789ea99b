/**
 * The one description every credential failure shares. RFC 6749 §5.2 `invalid_client` covers an
 * unknown client, a wrong secret, a missing credential and a method other than the registered one
 * alike; answering them identically keeps the endpoint from telling an attacker which client ids
 * exist, how they authenticate, or which guess was close.
 * The precise reason goes to `detail` (audit and logs), never to the client.
 */
import { InvalidClientError } from '@mandate/protocol';

export const CLIENT_AUTHENTICATION_FAILED = 'Client authentication failed.';

export function clientAuthenticationFailed(detail: string): InvalidClientError {
  return new InvalidClientError(CLIENT_AUTHENTICATION_FAILED, { detail });
}
