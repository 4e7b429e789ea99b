/**
 * Shared-secret verification for `client_secret_basic` and `client_secret_post` (RFC 6749
 * §2.3.1). Secrets are stored as SHA-256 and compared in constant time; an expired secret
 * (RFC 7591 §3.2.1 client_secret_expires_at) no longer authenticates.
 */
import { InvalidClientError } from '@mandate/protocol';
import { matchesHash } from '../../crypto/hash.ts';
import type { ClientRecord } from '../../storage/records.ts';
import { clientAuthenticationFailed } from './failure.ts';

export function verifyClientSecret(client: ClientRecord, presentedSecret: string, now: number): void {
  if (client.clientSecretHash === null) throw clientAuthenticationFailed('the client has no secret');
  if (!matchesHash(presentedSecret, client.clientSecretHash)) throw clientAuthenticationFailed('the client secret does not match');
  // Told only after the secret matched, so only its holder learns it has expired.
  if (client.clientSecretExpiresAt > 0 && client.clientSecretExpiresAt < now) {
    throw new InvalidClientError('The client secret has expired; obtain a new one (RFC 7591 §3.2.1).', { detail: 'the client secret has expired' });
  }
}
