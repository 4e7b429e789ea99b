/**
 * Row shapes of the tables created by migrations/ (docs/storage-schema.md). Column names are
 * snake_case; JSON columns are TEXT, booleans are 0/1 integers and times are epoch seconds on
 * both backends, so SQLite and PostgreSQL behave identically.
 */
import type { Generated } from 'kysely';

export interface ClientsTable {
  client_id: string;
  client_secret_hash: string | null;
  client_secret_expires_at: number;
  client_name: string;
  redirect_uris: string;
  grant_types: string;
  response_types: string;
  token_endpoint_auth_method: string;
  jwks: string | null;
  jwks_uri: string | null;
  scope: string;
  application_type: string;
  software_id: string | null;
  software_version: string | null;
  require_par: number;
  dpop_bound_access_tokens: number;
  registration_access_token_hash: string | null;
  source: string;
  metadata: string;
  created_at: number;
  updated_at: number;
}

export interface UsersTable {
  id: string;
  email: string;
  email_lower: string;
  name: string;
  password_hash: string | null;
  totp_secret_encrypted: string | null;
  is_admin: number;
  disabled: number;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  id_hash: string;
  user_id: string;
  auth_time: number;
  acr: string;
  amr: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  /** sessions/session-handle.ts of id_hash (migration 0014); null only if a row escaped its backfill. */
  handle: string | null;
}

export interface InteractionsTable {
  id: string;
  client_id: string;
  params: string;
  session_id_hash: string | null;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

export interface ParRequestsTable {
  id: string;
  client_id: string;
  params: string;
  dpop_jkt: string | null;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

export interface GrantsTable {
  id: string;
  user_id: string | null;
  client_id: string;
  agent_id: string | null;
  parent_grant_id: string | null;
  scope: string;
  resources: string;
  authorization_details: string | null;
  consent_id: string | null;
  created_at: number;
  revoked_at: number | null;
  revoked_reason: string | null;
  /** 0004: token exchange chain (JSON { principal, actors }); null on other grants. */
  delegation_chain: string | null;
  delegation_profile: string | null;
  auth_time: number | null;
  acr: string | null;
  /** JSON array of strings. */
  amr: string | null;
  /** 0013: SHA-256 of the login session an interactive authorization created the grant under; else null. */
  session_id_hash: string | null;
  /** 0016: jti of our token (access or ID token) the grant was exchanged from; else null. */
  subject_token_jti: string | null;
}

export interface AuthorizationCodesTable {
  code_hash: string;
  grant_id: string;
  client_id: string;
  user_id: string;
  redirect_uri: string;
  /** 0/1: redirect_uri was sent at /authorize (migration 0011). */
  redirect_uri_sent: number;
  code_challenge: string;
  code_challenge_method: string;
  scope: string;
  resources: string;
  authorization_details: string | null;
  nonce: string | null;
  auth_time: number;
  acr: string;
  amr: string;
  dpop_jkt: string | null;
  session_id_hash: string | null;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

export interface RefreshTokensTable {
  token_hash: string;
  id: string;
  grant_id: string;
  client_id: string;
  user_id: string | null;
  scope: string;
  resources: string;
  authorization_details: string | null;
  dpop_jkt: string | null;
  auth_time: number | null;
  acr: string | null;
  amr: string;
  nonce: string | null;
  created_at: number;
  expires_at: number;
  rotated_at: number | null;
  revoked_at: number | null;
}

export interface AccessTokensTable {
  jti: string;
  grant_id: string | null;
  client_id: string;
  user_id: string | null;
  scope: string;
  expires_at: number;
  created_at: number;
  revoked_at: number | null;
}

/** 0016: every ID token we issue, by jti, with the grant it came from (CO-1). */
export interface IdTokensTable {
  jti: string;
  grant_id: string;
  client_id: string;
  user_id: string;
  expires_at: number;
  created_at: number;
}

export interface ConsentsTable {
  id: string;
  user_id: string;
  client_id: string;
  scope: string;
  resources: string;
  authorization_details: string | null;
  created_at: number;
  revoked_at: number | null;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: string;
  private_jwk_encrypted: string;
  status: string;
  created_at: number;
  retired_at: number | null;
  publish_until: number | null;
}

export interface CimdCacheTable {
  url: string;
  document: string;
  etag: string | null;
  fetched_at: number;
  expires_at: number;
}

export interface ReplayCacheTable {
  namespace: string;
  key: string;
  expires_at: number;
}

export interface AuditEventsTable {
  seq: number;
  id: string;
  time: number;
  event: string;
  user_id: string | null;
  client_id: string | null;
  agent_id: string | null;
  requested_scope: string | null;
  granted_scope: string | null;
  resource: string | null;
  ip: string | null;
  result: string;
  reason: string | null;
  data: string | null;
  prev_hash: string;
  hash: string;
  /** Migration 0009: an unhashed, indexed copy of a string data.jti (custody lookups re-check it against data). */
  jti: string | null;
  /** Migration 0017: the same for a string data.id_token_jti (the ID token an issuance signed with its access token). */
  id_token_jti: string | null;
}

export interface AgentsTable {
  id: string;
  name: string;
  description: string;
  owner_user_id: string;
  allowed_scopes: string;
  allowed_audiences: string;
  allowed_tools: string;
  max_delegation_depth: number;
  status: string;
  /** `admin` | `owner` while suspended, else null (migration 0012). */
  suspended_by: string | null;
  attestation: string | null;
  jwks: string | null;
  client_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface RevocationEventsTable {
  /** Assigned by the database (SQLite AUTOINCREMENT / PostgreSQL identity). */
  seq: Generated<number>;
  jti: string | null;
  grant_id: string | null;
  expires_at: number;
  revoked_at: number;
  reason: string;
}

export interface PasskeysTable {
  credential_id: string;
  user_id: string;
  public_key: string;
  counter: number;
  transports: string;
  device_type: string;
  backed_up: number;
  aaguid: string;
  name: string;
  created_at: number;
  last_used_at: number | null;
}

export interface Database {
  clients: ClientsTable;
  users: UsersTable;
  sessions: SessionsTable;
  interactions: InteractionsTable;
  par_requests: ParRequestsTable;
  grants: GrantsTable;
  authorization_codes: AuthorizationCodesTable;
  refresh_tokens: RefreshTokensTable;
  access_tokens: AccessTokensTable;
  id_tokens: IdTokensTable;
  consents: ConsentsTable;
  signing_keys: SigningKeysTable;
  cimd_cache: CimdCacheTable;
  replay_cache: ReplayCacheTable;
  audit_events: AuditEventsTable;
  agents: AgentsTable;
  revocation_events: RevocationEventsTable;
  passkeys: PasskeysTable;
}
