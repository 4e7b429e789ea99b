/**
 * Checks a fetched Client ID Metadata Document and turns it into a ClientRecord
 * (draft-ietf-oauth-client-id-metadata-document §4, AS-6, CL-6):
 *
 * - the document's `client_id` equals the URL it was fetched from, as strings (§4.1);
 * - `client_name` and `redirect_uris` are present (AS-6);
 * - no shared secrets: `client_secret` / `client_secret_expires_at` are refused, and
 *   token_endpoint_auth_method is `none` (default) or `private_key_jwt` with `jwks` or `jwks_uri`;
 * - grant_types default to authorization_code; any grant type the token endpoint implements may be
 *   listed (metadata.ts REGISTRABLE_GRANT_TYPES) — no CIMD-specific limit. What a self-described
 *   client can obtain without a user is limited elsewhere: client_credentials scopes come only from
 *   the operator's selfRegisteredClients.clientCredentialsScopes (grants/client-credentials/self-registered.ts);
 * - the remaining metadata goes through the same rules as every other client (metadata.ts).
 */
import { InvalidClientError, isOAuthError } from '@mandate/protocol';
import type { MandateConfig } from '../../config/config.ts';
import type { ClientRecord } from '../../storage/records.ts';
import { validateClientMetadata } from '../metadata.ts';
import { toClientRecord } from '../metadata-record.ts';
import { isLoopbackRedirect } from '../metadata-redirect-uris.ts';

/** Set in ClientRecord.metadata when every redirect URI is loopback: the consent page warns (AS-6). */
export const LOOPBACK_ONLY_FLAG = 'redirect_uris_loopback_only';
/** Set in ClientRecord.metadata for documents: the URL whose host the consent page shows. */
export const CIMD_FLAG = 'client_id_metadata_document';

const CIMD_AUTH_METHODS = ['none', 'private_key_jwt'];

function refuse(clientId: string, rule: string): InvalidClientError {
  return new InvalidClientError(`The Client ID Metadata Document at ${clientId} is not acceptable: ${rule}.`);
}

/** Parses the body: JSON, an object. */
export function parseDocument(clientId: string, body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw refuse(clientId, 'the response is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw refuse(clientId, 'the document is not a JSON object');
  return value as Record<string, unknown>;
}

export function checkDocumentRules(clientId: string, doc: Record<string, unknown>): void {
  if (doc.client_id !== clientId) {
    throw refuse(clientId, `its client_id ${JSON.stringify(String(doc.client_id ?? '(missing)').slice(0, 200))} does not equal the URL it was fetched from`);
  }
  if (typeof doc.client_name !== 'string' || doc.client_name.trim() === '') throw refuse(clientId, 'client_name is required');
  if (!Array.isArray(doc.redirect_uris)) throw refuse(clientId, 'redirect_uris is required');
  if ('client_secret' in doc || 'client_secret_expires_at' in doc) throw refuse(clientId, 'it must not contain client_secret or client_secret_expires_at (no shared secrets)');
  const method = doc.token_endpoint_auth_method ?? 'none';
  if (!CIMD_AUTH_METHODS.includes(String(method))) {
    throw refuse(clientId, `token_endpoint_auth_method ${JSON.stringify(method)} is not allowed; use 'none' or 'private_key_jwt' (no shared secrets)`);
  }
}

/** Validates a parsed document and builds the client it describes. Throws invalid_client. */
export function documentToClient(clientId: string, doc: Record<string, unknown>, config: MandateConfig, fetchedAt: number): ClientRecord {
  checkDocumentRules(clientId, doc);
  let validated;
  try {
    validated = validateClientMetadata(doc, {
      source: 'cimd',
      mode: config.mode,
      devAllowedHosts: config.cimd.devAllowedHosts,
      scopesSupported: config.scopesSupported,
      defaultAuthMethod: 'none',
    });
  } catch (err) {
    // The client sees invalid_client (it cannot be used); the reason comes from the metadata rule.
    if (isOAuthError(err)) throw refuse(clientId, err.description.replace(/\.$/, ''));
    throw err;
  }
  const loopbackOnly = validated.redirectUris.length > 0 && validated.redirectUris.every(isLoopbackRedirect);
  return toClientRecord(
    { ...validated, metadata: { ...validated.metadata, [CIMD_FLAG]: true, ...(loopbackOnly ? { [LOOPBACK_ONLY_FLAG]: true } : {}) } },
    {
      clientId,
      clientSecretHash: null,
      clientSecretExpiresAt: 0,
      registrationAccessTokenHash: null,
      source: 'cimd',
      createdAt: fetchedAt,
      updatedAt: fetchedAt,
    },
  );
}
