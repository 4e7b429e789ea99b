/**
 * Dynamic registration (RFC 7591 §3) and client configuration (RFC 7592 §2) operations.
 * Secrets — the client_secret and the registration access token — are returned once, at issuance,
 * and stored only as SHA-256.
 *
 * The registration access token (RFC 7592 §3) is issued at registration and rotated on every
 * successful update (RFC 7592 §2.2): the PUT response carries the new token and the old one stops
 * working, so a leaked token does not stay valid for the life of the client.
 * Deviation: RFC 7592 §3 lists registration_access_token as REQUIRED in every client information
 * response, but the read response (RFC 7592 §2.1, GET) omits it: the server keeps only the token's
 * hash and cannot show it again, and rotating it on every read (which §2.1 allows) would make a
 * plain read invalidate the token the client holds — surprising, and racy for concurrent readers.
 * A client that wants a fresh token updates its registration.
 */
import { InvalidClientMetadataError } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import { matchesHash, randomId, randomToken, sha256 } from '../../crypto/hash.ts';
import type { ClientRecord } from '../../storage/records.ts';
import { validateClientMetadata, type ValidatedClientMetadata } from '../../clients/metadata.ts';
import { clientMetadataJson, replacedClientRecord, toClientRecord, usesClientSecret } from '../../clients/metadata-record.ts';
import { deleteClient } from '../../clients/lifecycle.ts';
import { Paths } from '../paths.ts';

export interface RegistrationResult {
  client: ClientRecord;
  /** Present only when a new secret was issued by this operation. */
  clientSecret: string | null;
  registrationAccessToken: string | null;
}

function validateDcrMetadata(ctx: ServerContext, body: Record<string, unknown>): ValidatedClientMetadata {
  return validateClientMetadata(body, {
    source: 'dcr',
    mode: ctx.config.mode,
    devAllowedHosts: ctx.config.cimd.devAllowedHosts,
    scopesSupported: ctx.config.scopesSupported,
  });
}

export function registrationClientUri(ctx: ServerContext, clientId: string): string {
  return `${ctx.config.issuer}${Paths.registration}/${encodeURIComponent(clientId)}`;
}

/** RFC 7591 §3.2.1 / RFC 7592 §3 response body. */
export function registrationResponse(ctx: ServerContext, r: RegistrationResult): Record<string, unknown> {
  return {
    ...clientMetadataJson(r.client),
    ...(r.clientSecret ? { client_secret: r.clientSecret } : {}),
    ...(r.registrationAccessToken ? { registration_access_token: r.registrationAccessToken } : {}),
    registration_client_uri: registrationClientUri(ctx, r.client.clientId),
  };
}

/** RFC 7591 §3.1: registers a new client from validated metadata. */
export async function registerClient(ctx: ServerContext, body: Record<string, unknown>): Promise<RegistrationResult> {
  const metadata = validateDcrMetadata(ctx, body);
  const clientId = randomId('dcr');
  // RFC 7591 §3.2.1: a secret only for clients that authenticate with one; 256 bits.
  const clientSecret = usesClientSecret(metadata.tokenEndpointAuthMethod) ? randomToken(32) : null;
  const registrationAccessToken = randomToken(32);
  const t = ctx.now();
  const client = toClientRecord(metadata, {
    clientId,
    clientSecretHash: clientSecret ? sha256(clientSecret) : null,
    clientSecretExpiresAt: 0,
    registrationAccessTokenHash: sha256(registrationAccessToken),
    source: 'dcr',
    createdAt: t,
    updatedAt: t,
  });
  await ctx.storage.clients.create(client);
  return { client, clientSecret, registrationAccessToken };
}

/**
 * RFC 7592 §2.2: the body replaces the registration. client_id must be the current one; a
 * client_secret, when sent, must be the current one (a client never chooses its secret).
 * Secret rules: a client moving to a secret-based method gets a new secret; one moving away
 * loses its secret; one staying keeps it (the server cannot show it again: only its hash exists).
 * The registration access token is always replaced (see the header). `current` is the row read
 * for update in the caller's transaction, after the presented token was checked against it.
 */
export async function updateClient(ctx: ServerContext, current: ClientRecord, body: Record<string, unknown>): Promise<RegistrationResult> {
  if (body.client_id !== current.clientId) {
    throw new InvalidClientMetadataError('The client_id in the request must equal the client being updated (RFC 7592 §2.2).');
  }
  if (body.client_secret !== undefined) {
    const matches = typeof body.client_secret === 'string' && current.clientSecretHash !== null && matchesHash(body.client_secret, current.clientSecretHash);
    if (!matches) throw new InvalidClientMetadataError('The client_secret in the request does not match the current secret; clients cannot choose their secret (RFC 7592 §2.2).');
  }
  const { client: replaced, secret: clientSecret } = replacedClientRecord(current, validateDcrMetadata(ctx, body), ctx.now());
  // RFC 7592 §2.2: a new registration access token; its hash is written with the metadata, in the
  // caller's transaction, so the old token stops working exactly when the update lands.
  const registrationAccessToken = randomToken(32);
  const client: ClientRecord = { ...replaced, registrationAccessTokenHash: sha256(registrationAccessToken) };
  await ctx.storage.clients.update(client);
  return { client, clientSecret, registrationAccessToken };
}

/** RFC 7592 §2.3: deletes the client and invalidates its grants and tokens. */
export async function unregisterClient(ctx: ServerContext, client: ClientRecord): Promise<void> {
  await deleteClient(ctx, client.clientId, 'client deleted through RFC 7592');
}
