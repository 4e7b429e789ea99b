/**
 * Client metadata validation (RFC 7591 §2), shared by dynamic registration, the admin API,
 * static configuration and Client ID Metadata Documents. The zod schema describes the shape (and
 * feeds the OpenAPI document); the checks below it are the protocol rules, one function each.
 *
 * RFC 7591 §2: the server MUST ignore metadata it does not understand (zod strips unknown keys);
 * JSON null is treated as absent (RFC 7592 §2.2 clients send null to clear a field).
 */
import { z } from 'zod';
import { ASYMMETRIC_JWS_ALGS, GrantType, InvalidClientMetadataError, InvalidRedirectUriError, isValidScopeToken } from '@mandate/protocol';
import { isAdministratorScope } from '../endpoints/paths.ts';
import type { ClientRecord, ClientSource } from '../storage/records.ts';
import { checkRedirectUri, inferApplicationType, isLoopbackHost, type ApplicationType } from './metadata-redirect-uris.ts';
import { isDevAllowedHost } from './ssrf-fetch.ts';
import { checkServiceIdentity, MAX_TOKEN_TTL_LIMIT } from './service-identity.ts';
import { scopeTokens } from '../checks/scope.ts';
import { isSelfRegistered } from './self-registered.ts';

/** Grant types a client may register: those the token endpoint implements (OAuth 2.1: no implicit, no password). */
export const REGISTRABLE_GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange', 'urn:ietf:params:oauth:grant-type:jwt-bearer'] as const;
export const AUTH_METHODS = ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

const uriField = z.string().min(1).max(2000);

export const ClientMetadataSchema = z.object({
  redirect_uris: z.array(z.string().max(2000)).max(32).optional(),
  token_endpoint_auth_method: z
    .enum(AUTH_METHODS, { error: `token_endpoint_auth_method must be one of ${AUTH_METHODS.join(', ')} (client_secret_jwt is not supported: shared-key JWTs are refused)` })
    .optional(),
  token_endpoint_auth_signing_alg: z.enum(ASYMMETRIC_JWS_ALGS).optional(),
  grant_types: z.array(z.string().max(200)).max(10).optional(),
  response_types: z.array(z.string().max(200)).max(10).optional(),
  client_name: z.string().trim().min(1).max(200).optional(),
  client_uri: uriField.optional(),
  logo_uri: uriField.optional(),
  tos_uri: uriField.optional(),
  policy_uri: uriField.optional(),
  contacts: z.array(z.string().min(1).max(320)).max(10).optional(),
  scope: z.string().max(4000).optional(),
  jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1).max(20) }).optional(),
  jwks_uri: uriField.optional(),
  software_id: z.string().min(1).max(200).optional(),
  software_version: z.string().min(1).max(200).optional(),
  application_type: z.enum(['web', 'native']).optional(),
  /** RFC 9126 §6. */
  require_pushed_authorization_requests: z.boolean().optional(),
  /** RFC 9449 §5.2. */
  dpop_bound_access_tokens: z.boolean().optional(),
  /** ID-3 service identity and per-client token lifetime cap (service-identity.ts). */
  service_identity: z.boolean().optional(),
  max_token_ttl: z.number().int().min(1).max(MAX_TOKEN_TTL_LIMIT).optional(),
});
export type ClientMetadataInput = z.input<typeof ClientMetadataSchema>;
type ParsedMetadata = z.output<typeof ClientMetadataSchema>;

export interface MetadataPolicy {
  source: ClientSource;
  mode: 'development' | 'production';
  devAllowedHosts: readonly string[];
  scopesSupported: readonly string[];
  /** Default when token_endpoint_auth_method is absent: RFC 7591 §2 says client_secret_basic; CIMD says none. */
  defaultAuthMethod?: AuthMethod;
}

/** Everything of a ClientRecord that comes from metadata. */
export type ValidatedClientMetadata = Pick<
  ClientRecord,
  | 'redirectUris'
  | 'grantTypes'
  | 'responseTypes'
  | 'tokenEndpointAuthMethod'
  | 'jwks'
  | 'jwksUri'
  | 'scope'
  | 'applicationType'
  | 'softwareId'
  | 'softwareVersion'
  | 'requirePar'
  | 'dpopBoundAccessTokens'
  | 'metadata'
> & { clientName: string | null };

/** Validates raw metadata; throws invalid_redirect_uri / invalid_client_metadata with the rule broken. */
export function validateClientMetadata(input: Record<string, unknown>, policy: MetadataPolicy): ValidatedClientMetadata {
  const m = parseShape(input);
  const { grantTypes, responseTypes } = checkGrantAndResponseTypes(m);
  const method = checkAuthMethod(m, grantTypes, policy);
  const jwks = checkKeys(m, method, policy);
  const applicationType: ApplicationType = m.application_type ?? inferApplicationType(m.redirect_uris ?? []);
  const redirectUris = checkRedirectUris(m, grantTypes, applicationType, policy);
  const informational = checkInformationUris(m, policy);
  return {
    redirectUris,
    grantTypes,
    responseTypes,
    tokenEndpointAuthMethod: method,
    jwks: jwks.jwks,
    jwksUri: jwks.jwksUri,
    scope: checkScope(m, policy),
    applicationType,
    softwareId: m.software_id ?? null,
    softwareVersion: m.software_version ?? null,
    requirePar: m.require_pushed_authorization_requests ?? false,
    dpopBoundAccessTokens: m.dpop_bound_access_tokens ?? false,
    clientName: m.client_name ?? null,
    metadata: {
      ...informational,
      ...(m.contacts ? { contacts: m.contacts } : {}),
      ...(m.token_endpoint_auth_signing_alg ? { token_endpoint_auth_signing_alg: m.token_endpoint_auth_signing_alg } : {}),
      ...checkServiceIdentity(m, grantTypes),
    },
  };
}

function parseShape(input: Record<string, unknown>): ParsedMetadata {
  const withoutNulls = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null));
  const parsed = ClientMetadataSchema.safeParse(withoutNulls);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map(String).join('.') || 'metadata';
  const message = `Invalid client metadata: ${field}: ${issue.message}.`;
  throw field.startsWith('redirect_uris') ? new InvalidRedirectUriError(message) : new InvalidClientMetadataError(message);
}

/** RFC 7591 §2.1: grant_types and response_types must agree; OAuth 2.1 removed implicit and password. */
function checkGrantAndResponseTypes(m: ParsedMetadata): { grantTypes: string[]; responseTypes: string[] } {
  const grantTypes = [...new Set(m.grant_types ?? ['authorization_code'])];
  const responseTypes = [...new Set(m.response_types ?? (grantTypes.includes('authorization_code') ? ['code'] : []))];
  for (const g of grantTypes) {
    if (g === 'implicit' || g === 'password') throw new InvalidClientMetadataError(`The grant type '${g}' was removed in OAuth 2.1 and is not supported.`);
    if (!(REGISTRABLE_GRANT_TYPES as readonly string[]).includes(g)) throw new InvalidClientMetadataError(`The grant type '${g}' is not supported; use ${REGISTRABLE_GRANT_TYPES.join(', ')}.`);
  }
  for (const r of responseTypes) {
    if (r !== 'code') throw new InvalidClientMetadataError(`The response type '${r}' is not supported; only 'code' is (OAuth 2.1).`);
  }
  if (grantTypes.includes('authorization_code') !== responseTypes.includes('code')) {
    throw new InvalidClientMetadataError("grant_types and response_types disagree: 'authorization_code' and the 'code' response type go together (RFC 7591 §2.1).");
  }
  // Refresh tokens come with authorization codes, or with token exchanges asking for offline_access (RFC 8693 §2.2.1).
  if (grantTypes.includes('refresh_token') && !grantTypes.includes('authorization_code') && !grantTypes.includes(GrantType.TokenExchange)) {
    throw new InvalidClientMetadataError("The 'refresh_token' grant type needs 'authorization_code' or token exchange: refresh tokens are only issued with those.");
  }
  return { grantTypes, responseTypes };
}

function checkAuthMethod(m: ParsedMetadata, grantTypes: string[], policy: MetadataPolicy): AuthMethod {
  const method = m.token_endpoint_auth_method ?? policy.defaultAuthMethod ?? 'client_secret_basic';
  // RFC 6749 §4.4: client_credentials is for confidential clients only.
  if (method === 'none' && grantTypes.includes('client_credentials')) {
    throw new InvalidClientMetadataError("Public clients (token_endpoint_auth_method 'none') cannot use the client_credentials grant (RFC 6749 §4.4).");
  }
  return method;
}

/** Private members of a JWK (RFC 7518 §6) and symmetric keys must never be registered. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function checkKeys(m: ParsedMetadata, method: AuthMethod, policy: MetadataPolicy): { jwks: ClientRecord['jwks']; jwksUri: string | null } {
  if (m.jwks && m.jwks_uri) throw new InvalidClientMetadataError('jwks and jwks_uri must not both be present (RFC 7591 §2).');
  if (method === 'private_key_jwt' && !m.jwks && !m.jwks_uri) {
    throw new InvalidClientMetadataError("token_endpoint_auth_method 'private_key_jwt' needs the client's public keys in jwks or jwks_uri (RFC 7523 §2.2).");
  }
  if (m.jwks) {
    m.jwks.keys.forEach((key, i) => {
      if (!['EC', 'RSA', 'OKP'].includes(String(key.kty))) throw new InvalidClientMetadataError(`jwks.keys.${i}: kty must be EC, RSA or OKP (asymmetric keys only).`);
      const leaked = PRIVATE_JWK_MEMBERS.find((member) => member in key);
      if (leaked) throw new InvalidClientMetadataError(`jwks.keys.${i} contains the private member '${leaked}': register public keys only.`);
    });
  }
  if (m.jwks_uri) checkWebUri('jwks_uri', m.jwks_uri, policy);
  return { jwks: m.jwks ?? null, jwksUri: m.jwks_uri ?? null };
}

function checkRedirectUris(m: ParsedMetadata, grantTypes: string[], applicationType: ApplicationType, policy: MetadataPolicy): string[] {
  const uris = [...new Set(m.redirect_uris ?? [])];
  if (grantTypes.includes('authorization_code') && uris.length === 0) {
    throw new InvalidRedirectUriError('redirect_uris is required for the authorization_code grant (RFC 7591 §2).');
  }
  const allowWebLoopback = policy.mode === 'development';
  for (const uri of uris) checkRedirectUri(uri, { applicationType, allowWebLoopback });
  return uris;
}

const INFORMATION_URIS = ['client_uri', 'logo_uri', 'tos_uri', 'policy_uri'] as const;

/** RFC 7591 §5: these URIs are shown to users, so they must be web URLs the user can trust (https). */
function checkInformationUris(m: ParsedMetadata, policy: MetadataPolicy): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of INFORMATION_URIS) {
    const value = m[field];
    if (value === undefined) continue;
    checkWebUri(field, value, policy);
    out[field] = value;
  }
  return out;
}

/** https, or http to loopback in development, or http to a development-allowed host:port. */
function checkWebUri(field: string, value: string, policy: MetadataPolicy): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidClientMetadataError(`${field} is not an absolute URL.`);
  }
  if (value.includes('#') || url.username || url.password) throw new InvalidClientMetadataError(`${field} must not contain a fragment or credentials.`);
  if (url.protocol === 'https:') return;
  const devHttp = url.protocol === 'http:' && (isDevAllowedHost(url, policy.devAllowedHosts) || (policy.mode === 'development' && isLoopbackHost(url.hostname)));
  if (!devHttp) throw new InvalidClientMetadataError(`${field} must be an https URL.`);
}

/**
 * RFC 6749 §3.3 syntax. Clients that registered themselves (DCR) or describe themselves (CIMD)
 * never hold the admin scope, and when they name no scope they get the supported scopes minus the
 * admin scope (RFC 7591 §2: "MAY register a client with a default set of scopes") — an empty
 * scope on a record would otherwise mean "any configured scope", admin included. That default is
 * bounded by user consent in user grants; client credentials gives such clients only what the
 * operator lists (grants/client-credentials/self-registered.ts), never this registered scope alone.
 */
function checkScope(m: ParsedMetadata, policy: MetadataPolicy): string {
  const tokens = scopeTokens(m.scope);
  const bad = tokens.find((t) => !isValidScopeToken(t));
  if (bad !== undefined) throw new InvalidClientMetadataError(`scope contains an invalid token ${JSON.stringify(bad)} (RFC 6749 §3.3).`);
  if (!isSelfRegistered(policy)) return [...new Set(tokens)].join(' ');
  const reserved = tokens.find(isAdministratorScope);
  if (reserved !== undefined) throw new InvalidClientMetadataError(`The scope '${reserved}' cannot be requested by a self-registered client.`);
  if (tokens.length === 0) return policy.scopesSupported.filter((s) => !isAdministratorScope(s)).join(' ');
  return [...new Set(tokens)].join(' ');
}
