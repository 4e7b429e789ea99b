/**
 * Service identities (ID-3): clients with no user, fixed narrow scopes and short-lived tokens.
 * Two client metadata members (Mandate extensions; RFC 7591 §2 lets a server define its own):
 *
 *   service_identity: true   the client is a machine: client_credentials is its only grant, so
 *                            no user can ever be behind its tokens.
 *   max_token_ttl: seconds   the longest access token the client receives, below the server's
 *                            ttl.clientCredentials (a cap: it can only shorten tokens).
 */
import { InvalidClientMetadataError } from '@mandate/protocol';
import type { ClientRecord } from '../storage/records.ts';

/** The longest per-client cap accepted: one day. */
export const MAX_TOKEN_TTL_LIMIT = 86_400;

export function checkServiceIdentity(m: { service_identity?: boolean | undefined; max_token_ttl?: number | undefined }, grantTypes: string[]): Record<string, unknown> {
  if (m.service_identity && (grantTypes.length !== 1 || grantTypes[0] !== 'client_credentials')) {
    throw new InvalidClientMetadataError("A service identity (service_identity: true) acts for no user: its grant_types must be exactly ['client_credentials'] (ID-3).");
  }
  return {
    ...(m.service_identity ? { service_identity: true } : {}),
    ...(m.max_token_ttl !== undefined ? { max_token_ttl: m.max_token_ttl } : {}),
  };
}

/** The access token lifetime for this client: the server default, capped by the client's max_token_ttl. */
export function clientTokenTtl(client: ClientRecord, serverTtl: number): number {
  const cap = client.metadata.max_token_ttl;
  return typeof cap === 'number' && Number.isInteger(cap) && cap > 0 ? Math.min(serverTtl, cap) : serverTtl;
}
