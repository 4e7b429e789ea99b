/**
 * Between validated metadata and stored ClientRecords, and back to the RFC 7591 §3.2.1 JSON
 * shape that registration responses, RFC 7592 reads and the admin API return.
 */
import type { ClientRecord, ClientSource } from '../storage/records.ts';
import { randomToken, sha256 } from '../crypto/hash.ts';
import type { ValidatedClientMetadata } from './metadata.ts';

export interface RecordFields {
  clientId: string;
  clientSecretHash: string | null;
  clientSecretExpiresAt: number;
  registrationAccessTokenHash: string | null;
  source: ClientSource;
  createdAt: number;
  updatedAt: number;
}

export function toClientRecord(m: ValidatedClientMetadata, f: RecordFields): ClientRecord {
  return {
    clientId: f.clientId,
    clientSecretHash: f.clientSecretHash,
    clientSecretExpiresAt: f.clientSecretExpiresAt,
    // RFC 7591 §2: client_name is optional; the client_id is what users would otherwise see.
    clientName: m.clientName ?? f.clientId,
    redirectUris: m.redirectUris,
    grantTypes: m.grantTypes,
    responseTypes: m.responseTypes,
    tokenEndpointAuthMethod: m.tokenEndpointAuthMethod,
    jwks: m.jwks,
    jwksUri: m.jwksUri,
    scope: m.scope,
    applicationType: m.applicationType,
    softwareId: m.softwareId,
    softwareVersion: m.softwareVersion,
    requirePar: m.requirePar,
    dpopBoundAccessTokens: m.dpopBoundAccessTokens,
    registrationAccessTokenHash: f.registrationAccessTokenHash,
    source: f.source,
    metadata: m.metadata,
    createdAt: f.createdAt,
    updatedAt: f.updatedAt,
  };
}

/**
 * The record that replaces `current` with new metadata (RFC 7592 §2.2 PUT, admin update): a client
 * that keeps a secret-based method keeps its secret; one that newly needs a secret gets a fresh one
 * (returned once, stored as SHA-256); one that no longer uses a secret loses it.
 */
export function replacedClientRecord(current: ClientRecord, m: ValidatedClientMetadata, now: number): { client: ClientRecord; secret: string | null } {
  const needsSecret = usesClientSecret(m.tokenEndpointAuthMethod);
  const keep = needsSecret && current.clientSecretHash !== null;
  const secret = needsSecret && !keep ? randomToken(32) : null;
  const client = toClientRecord(m, {
    clientId: current.clientId,
    clientSecretHash: keep ? current.clientSecretHash : secret ? sha256(secret) : null,
    clientSecretExpiresAt: keep ? current.clientSecretExpiresAt : 0,
    registrationAccessTokenHash: current.registrationAccessTokenHash,
    source: current.source,
    createdAt: current.createdAt,
    updatedAt: now,
  });
  return { client, secret };
}

/** True for methods that authenticate with a client_secret (RFC 7591 §2). */
export function usesClientSecret(method: ClientRecord['tokenEndpointAuthMethod']): boolean {
  return method === 'client_secret_basic' || method === 'client_secret_post';
}

/** The registered metadata in RFC 7591 §2 / §3.2.1 form. Never includes a secret or its hash. */
export function clientMetadataJson(client: ClientRecord): Record<string, unknown> {
  const { contacts, ...rest } = client.metadata as { contacts?: unknown } & Record<string, unknown>;
  return {
    client_id: client.clientId,
    client_id_issued_at: client.createdAt,
    ...(usesClientSecret(client.tokenEndpointAuthMethod) ? { client_secret_expires_at: client.clientSecretExpiresAt } : {}),
    client_name: client.clientName,
    redirect_uris: client.redirectUris,
    grant_types: client.grantTypes,
    response_types: client.responseTypes,
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    application_type: client.applicationType,
    ...(client.scope ? { scope: client.scope } : {}),
    ...(client.jwks ? { jwks: client.jwks } : {}),
    ...(client.jwksUri ? { jwks_uri: client.jwksUri } : {}),
    ...(client.softwareId ? { software_id: client.softwareId } : {}),
    ...(client.softwareVersion ? { software_version: client.softwareVersion } : {}),
    require_pushed_authorization_requests: client.requirePar,
    dpop_bound_access_tokens: client.dpopBoundAccessTokens,
    ...(contacts ? { contacts } : {}),
    ...rest,
  };
}
