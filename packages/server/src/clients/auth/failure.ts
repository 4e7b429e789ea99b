/**
 * The one description every credential failure shares. RFC 6749 §5.2 `invalid_client` covers an
 * unknown client, a wrong secret, a refused client assertion, a public client where public clients
 * are not allowed, a missing credential and a method other than the registered one alike: every
 * failure once a client was found is answered this way, so the endpoint tells an attacker neither
 * which client ids exist, how they authenticate (or with which algorithm), nor which guess was close.
 * Only failures decided before any lookup (a malformed request, the same for every client id) and
 * those an RFC gives their own error code may say more; and an expired secret is told only once the
 * secret matched (client-secret.ts), so only its holder learns it.
 * The precise reason goes to `detail` (audit and logs), never to the client.
 */
import { InvalidClientError } from '@mandate/protocol';

export const CLIENT_AUTHENTICATION_FAILED = 'Client authentication failed.';

export function clientAuthenticationFailed(detail: string): InvalidClientError {
  return new InvalidClientError(CLIENT_AUTHENTICATION_FAILED, { detail });
}
