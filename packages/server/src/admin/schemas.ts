/**
 * The admin API's JSON shapes (snake_case like the OAuth RFCs) and the mappers from storage
 * records. Views never carry a secret, a hash of one, or an encrypted value.
 */
import { z } from 'zod';
import type { AuditEventRecord, ConsentRecord, GrantRecord, SigningKeyRecord, UserRecord } from '../storage/records.ts';

export const Pagination = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

export const ErrorSchema = z.object({ error: z.string(), error_description: z.string() });

export const listOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });

const epoch = z.number().int().describe('Unix time, seconds');
const json = z.record(z.string(), z.unknown());

export const ClientView = z
  .object({
    client_id: z.string(),
    client_id_issued_at: epoch,
    client_secret_expires_at: epoch.optional(),
    client_name: z.string(),
    redirect_uris: z.array(z.string()),
    grant_types: z.array(z.string()),
    response_types: z.array(z.string()),
    token_endpoint_auth_method: z.string(),
    application_type: z.enum(['web', 'native']),
    scope: z.string().optional(),
    jwks: json.optional(),
    jwks_uri: z.string().optional(),
    software_id: z.string().optional(),
    software_version: z.string().optional(),
    require_pushed_authorization_requests: z.boolean(),
    dpop_bound_access_tokens: z.boolean(),
    source: z.enum(['static', 'admin', 'dcr', 'cimd']),
    updated_at: epoch,
  })
  .catchall(z.unknown())
  .describe('A registered client: RFC 7591 §2 metadata plus how it was registered.');

export const ClientWithSecret = ClientView.extend({
  client_secret: z.string().optional().describe('Shown once, when issued; only its SHA-256 is stored.'),
});

export const UserView = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  is_admin: z.boolean(),
  disabled: z.boolean(),
  has_password: z.boolean(),
  totp_enrolled: z.boolean(),
  created_at: epoch,
  updated_at: epoch,
});

export function userView(u: UserRecord): z.output<typeof UserView> {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    is_admin: u.isAdmin,
    disabled: u.disabled,
    has_password: u.passwordHash !== null,
    totp_enrolled: u.totpSecretEncrypted !== null,
    created_at: u.createdAt,
    updated_at: u.updatedAt,
  };
}

export const ConsentView = z.object({
  id: z.string(),
  user_id: z.string(),
  client_id: z.string(),
  scope: z.string(),
  resources: z.array(z.string()),
  authorization_details: z.array(json).nullable(),
  created_at: epoch,
  revoked_at: epoch.nullable(),
});

export function consentView(r: ConsentRecord): z.output<typeof ConsentView> {
  return {
    id: r.id,
    user_id: r.userId,
    client_id: r.clientId,
    scope: r.scope,
    resources: r.resources,
    authorization_details: r.authorizationDetails,
    created_at: r.createdAt,
    revoked_at: r.revokedAt,
  };
}

export const GrantView = z.object({
  id: z.string(),
  user_id: z.string().nullable(),
  client_id: z.string(),
  agent_id: z.string().nullable(),
  parent_grant_id: z.string().nullable(),
  consent_id: z.string().nullable(),
  scope: z.string(),
  resources: z.array(z.string()),
  authorization_details: z.array(json).nullable(),
  created_at: epoch,
  revoked_at: epoch.nullable(),
  revoked_reason: z.string().nullable(),
});

export function grantView(g: GrantRecord): z.output<typeof GrantView> {
  return {
    id: g.id,
    user_id: g.userId,
    client_id: g.clientId,
    agent_id: g.agentId,
    parent_grant_id: g.parentGrantId,
    consent_id: g.consentId,
    scope: g.scope,
    resources: g.resources,
    authorization_details: g.authorizationDetails,
    created_at: g.createdAt,
    revoked_at: g.revokedAt,
    revoked_reason: g.revokedReason,
  };
}

export const RevokedGrants = z.object({ revoked_grants: z.array(z.string()).describe('Ids of every grant revoked, derived grants included.') });

export const SigningKeyView = z.object({
  kid: z.string(),
  alg: z.enum(['ES256', 'EdDSA', 'RS256']),
  status: z.enum(['active', 'retired']),
  public_jwk: json,
  created_at: epoch,
  retired_at: epoch.nullable(),
  publish_until: epoch.nullable().describe('A retired key stays in the JWKS until its last token has expired.'),
});

export function signingKeyView(k: SigningKeyRecord): z.output<typeof SigningKeyView> {
  return {
    kid: k.kid,
    alg: k.alg,
    status: k.status,
    public_jwk: k.publicJwk,
    created_at: k.createdAt,
    retired_at: k.retiredAt,
    publish_until: k.publishUntil,
  };
}

export const AuditEventView = z.object({
  seq: z.number().int(),
  id: z.string(),
  time: epoch,
  event: z.string(),
  user_id: z.string().nullable(),
  client_id: z.string().nullable(),
  agent_id: z.string().nullable(),
  requested_scope: z.string().nullable(),
  granted_scope: z.string().nullable(),
  resource: z.string().nullable(),
  ip: z.string().nullable(),
  result: z.enum(['success', 'failure']),
  reason: z.string().nullable(),
  data: json.nullable(),
  prev_hash: z.string(),
  hash: z.string(),
});

export function auditEventView(e: AuditEventRecord): z.output<typeof AuditEventView> {
  return {
    seq: e.seq,
    id: e.id,
    time: e.time,
    event: e.event,
    user_id: e.userId,
    client_id: e.clientId,
    agent_id: e.agentId,
    requested_scope: e.requestedScope,
    granted_scope: e.grantedScope,
    resource: e.resource,
    ip: e.ip,
    result: e.result,
    reason: e.reason,
    data: e.data,
    prev_hash: e.prevHash,
    hash: e.hash,
  };
}
