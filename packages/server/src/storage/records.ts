/**
 * Records persisted by Mandate. Times are Unix epoch **seconds** (integers).
 * Secrets never appear here in the clear: codes, refresh tokens, client secrets,
 * registration access tokens and session ids are stored as SHA-256 (base64url);
 * signing keys and TOTP secrets are encrypted with MANDATE_SECRET_KEY.
 * docs/storage-schema.md describes the tables behind these records.
 */

export type ClientSource = 'static' | 'admin' | 'dcr' | 'cimd';

export interface ClientRecord {
  clientId: string;
  /** SHA-256 of the generated secret; null for public and private_key_jwt clients. */
  clientSecretHash: string | null;
  /** Expiry of the secret (RFC 7591 client_secret_expires_at; 0 = never). */
  clientSecretExpiresAt: number;
  clientName: string;
  redirectUris: string[];
  grantTypes: string[];
  responseTypes: string[];
  tokenEndpointAuthMethod: 'none' | 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  /** Public JWK Set (private_key_jwt), when given by value. */
  jwks: { keys: Record<string, unknown>[] } | null;
  jwksUri: string | null;
  /** Space-delimited scopes this client may request (empty = any configured scope). */
  scope: string;
  applicationType: 'web' | 'native';
  softwareId: string | null;
  softwareVersion: string | null;
  /** RFC 9126 §6 require_pushed_authorization_requests. */
  requirePar: boolean;
  /** RFC 9449 §5.2 dpop_bound_access_tokens. */
  dpopBoundAccessTokens: boolean;
  /** SHA-256 of the RFC 7592 registration access token. */
  registrationAccessTokenHash: string | null;
  source: ClientSource;
  /** The rest of the registered metadata (logo_uri, client_uri, contacts, tos_uri, policy_uri, …). */
  metadata: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

export interface UserRecord {
  id: string;
  email: string;
  name: string;
  /** scrypt hash in PHC-like form, see crypto/password.ts. */
  passwordHash: string | null;
  /** TOTP secret encrypted with the secret key (crypto/envelope.ts); null = no TOTP enrolled. */
  totpSecretEncrypted: string | null;
  /** May be granted the `mandate:admin` scope (admin API). */
  isAdmin: boolean;
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
}

/** A browser login session at the authorization server. */
export interface SessionRecord {
  /** SHA-256 of the cookie value. */
  idHash: string;
  userId: string;
  authTime: number;
  acr: string;
  amr: string[];
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

/** A pending /authorize request waiting for login and consent (server-side, single use). */
export interface InteractionRecord {
  id: string;
  clientId: string;
  /** The validated authorization request parameters. */
  params: Record<string, unknown>;
  /** SHA-256 of the session the interaction was bound to once logged in. */
  sessionIdHash: string | null;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
}

/** RFC 9126 pushed authorization request. */
export interface ParRecord {
  /** The random part of the request_uri. */
  id: string;
  clientId: string;
  params: Record<string, unknown>;
  dpopJkt: string | null;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
}

/** The grant: one authorization (user + client + scopes) that codes, refresh and access tokens derive from. */
export interface GrantRecord {
  id: string;
  userId: string | null;
  clientId: string;
  /** Agent identity acting in this grant (issue 3); null for plain client grants. */
  agentId: string | null;
  /** Grant this one was derived from (token exchange, issue 3). */
  parentGrantId: string | null;
  scope: string;
  resources: string[];
  authorizationDetails: Record<string, unknown>[] | null;
  /** The consent this grant rests on, when a user consented. */
  consentId: string | null;
  createdAt: number;
  revokedAt: number | null;
  revokedReason: string | null;
  /**
   * Token exchange (RFC 8693, issue 3): what a refresh needs to rebuild the exchanged token —
   * absent (or null) on every other grant, and on exchanged grants written before 0004.
   */
  delegation?: GrantDelegation | null;
  /**
   * SHA-256 of the browser login session an interactive authorization created this grant under
   * (CO-1: ending the session revokes the grant's tree); absent on other grants (exchanged child
   * grants are reached through parentGrantId) and on grants written before 0013.
   */
  sessionIdHash?: string | null;
  /**
   * Token exchange: the jti of our access or ID token this grant was exchanged from (CO-1: RFC 7009
   * revocation of that access token revokes this grant's tree). Absent on other grants, on
   * exchanges of another issuer's token and on grants written before 0016.
   */
  subjectTokenJti?: string | null;
}

/** The identity an exchanged token carries, kept on its derived grant so a refresh re-issues the same token. */
export interface GrantDelegation {
  /** RFC 8693 §4.1 chain in normal form: the principal and the actors, the current one first. */
  chain: { principal: string; actors: { sub: string; iss?: string }[] };
  /** How the chain is written into the token (sub/act or sub/on_behalf_of/act). */
  profile: 'impersonation' | 'delegation';
  /** The subject's authentication (OIDC Core §2) as the subject token carried it. */
  authTime: number | null;
  acr: string | null;
  amr: string[];
}

export interface AuthorizationCodeRecord {
  codeHash: string;
  grantId: string;
  clientId: string;
  userId: string;
  redirectUri: string;
  /** RFC 6749 §4.1.3: redirect_uri was sent at /authorize, so the token request must repeat it. */
  redirectUriSent: boolean;
  codeChallenge: string;
  codeChallengeMethod: 'S256';
  scope: string;
  resources: string[];
  authorizationDetails: Record<string, unknown>[] | null;
  nonce: string | null;
  authTime: number;
  acr: string;
  amr: string[];
  /** RFC 9449 §10: dpop_jkt sent at /authorize binds the code to that key. */
  dpopJkt: string | null;
  sessionIdHash: string | null;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
}

export interface RefreshTokenRecord {
  tokenHash: string;
  id: string;
  grantId: string;
  clientId: string;
  userId: string | null;
  scope: string;
  resources: string[];
  authorizationDetails: Record<string, unknown>[] | null;
  /** RFC 9449 §5: refresh tokens of public clients are bound to the DPoP key. */
  dpopJkt: string | null;
  authTime: number | null;
  acr: string | null;
  amr: string[];
  nonce: string | null;
  createdAt: number;
  expiresAt: number;
  /** Set when this token was exchanged for its successor; a second use is reuse. */
  rotatedAt: number | null;
  revokedAt: number | null;
}

/** Every issued access token, by jti, so introspection and revocation work on JWTs. */
export interface AccessTokenRecord {
  jti: string;
  grantId: string | null;
  clientId: string;
  userId: string | null;
  scope: string;
  expiresAt: number;
  createdAt: number;
  revokedAt: number | null;
}

/**
 * An ID token we issued (OIDC Core §2), by jti: the grant it came from (migration 0016). An
 * exchange of the ID token (RFC 8693) rests on that grant, so revoking the grant ends both.
 */
export interface IdTokenRecord {
  jti: string;
  grantId: string;
  clientId: string;
  userId: string;
  expiresAt: number;
  createdAt: number;
}

export interface ConsentRecord {
  id: string;
  userId: string;
  clientId: string;
  scope: string;
  resources: string[];
  authorizationDetails: Record<string, unknown>[] | null;
  createdAt: number;
  revokedAt: number | null;
}

export type SigningKeyStatus = 'active' | 'retired';

export interface SigningKeyRecord {
  kid: string;
  alg: 'ES256' | 'EdDSA' | 'RS256';
  publicJwk: Record<string, unknown>;
  /** Private JWK, encrypted with the secret key (compact JWE). */
  privateJwkEncrypted: string;
  status: SigningKeyStatus;
  createdAt: number;
  retiredAt: number | null;
  /** A retired key stays in the JWKS until its last token has expired. */
  publishUntil: number | null;
}

/** A cached Client ID Metadata Document (AS-6: HTTP caching honoured). */
export interface CimdCacheRecord {
  url: string;
  document: Record<string, unknown>;
  etag: string | null;
  fetchedAt: number;
  expiresAt: number;
}

export interface AuditEventInput {
  event: string;
  userId?: string | null;
  clientId?: string | null;
  agentId?: string | null;
  requestedScope?: string | null;
  grantedScope?: string | null;
  resource?: string | null;
  ip?: string | null;
  result: 'success' | 'failure';
  reason?: string | null;
  /** Non-secret identifiers tying the event to objects: grant id, jti, consent id, … */
  data?: Record<string, unknown> | null;
}

export interface AuditEventRecord {
  seq: number;
  id: string;
  time: number;
  event: string;
  userId: string | null;
  clientId: string | null;
  agentId: string | null;
  requestedScope: string | null;
  grantedScope: string | null;
  resource: string | null;
  ip: string | null;
  result: 'success' | 'failure';
  reason: string | null;
  data: Record<string, unknown> | null;
  /** Hash of the previous row (hex); the first row chains from 64 zeros. */
  prevHash: string;
  /** SHA-256 (hex) over prevHash and this row's canonical JSON; see audit/chain.ts. */
  hash: string;
}

/** Who suspended an agent: an administrator (admin API, owner deprovisioned) or its owner. */
export type AgentSuspender = 'admin' | 'owner';

/** An agent identity (ID-2): its own id, an owner, limits and a status. Issue 3. */
export interface AgentRecord {
  /** `agt_…` */
  id: string;
  name: string;
  description: string;
  /** The user who owns the agent; suspending or deprovisioning the owner stops the agent. */
  ownerUserId: string;
  /** The most the agent may ever hold, whatever a user grants (DL-4). */
  allowedScopes: string[];
  /** Resource indicators / audiences the agent may obtain tokens for (empty = none). */
  allowedAudiences: string[];
  /** MCP tool names the agent may call (enforced by resource servers through the token). */
  allowedTools: string[];
  /** Maximum length of the `act` chain below this agent (DL-4). */
  maxDelegationDepth: number;
  status: 'active' | 'suspended';
  /**
   * Who suspended it (null while active). An owner may lift only an `owner` suspension; an
   * administrator's (admin API, owner deprovisioned) only an administrator lifts.
   */
  suspendedBy: AgentSuspender | null;
  /** EN-4 attestation claims (model, runtime, publisher) put into tokens. */
  attestation: Record<string, string> | null;
  /** Public JWK Set the agent signs its actor tokens with (RFC 7523 JWTs). */
  jwks: { keys: Record<string, unknown>[] } | null;
  /** A client whose client_credentials tokens stand for this agent, if any. */
  clientId: string | null;
  createdAt: number;
  updatedAt: number;
}

/** One revocation, published to resource servers through the signed revocation feed (CO-1). */
export interface RevocationEventRecord {
  seq: number;
  /** The access token jti, or null when a whole grant was revoked. */
  jti: string | null;
  grantId: string | null;
  /** Until when a resource server must remember it (the token's or grant's last expiry). */
  expiresAt: number;
  revokedAt: number;
  reason: string;
}

/** A WebAuthn credential (passkey) of a user (HU-1, issue 4). */
export interface PasskeyRecord {
  /** The credential id (WebAuthn L3 §4), base64url. */
  credentialId: string;
  userId: string;
  /** The COSE_Key public key (§6.5.1.1), base64url. */
  publicKey: string;
  /** The signature counter last seen (§6.1.1); 0 for authenticators that keep none. */
  counter: number;
  /** Transport hints reported at registration (§5.8.4), passed back in allowCredentials. */
  transports: string[];
  /** From the BE flag (§6.1.3), fixed at creation: `multiDevice` = synced, `singleDevice` = device-bound. */
  deviceType: 'singleDevice' | 'multiDevice';
  /** The BS flag last seen: the credential is currently backed up. */
  backedUp: boolean;
  /** The authenticator model (AAGUID); all zeros under `none` attestation. */
  aaguid: string;
  /** A label for the user's list of passkeys. */
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

/**
 * Token vault (issue 5, VA-1/VA-2). A secret in the vault is stored sealed (vault/envelope.ts):
 * the ciphertext, its data key wrapped by a key-encryption key, and that KEK's id.
 */
export interface VaultSealedRecord {
  kekId: string;
  /** base64url: iv | tag | wrapped data key. */
  wrappedKey: string;
  /** base64url: iv | tag | ciphertext. */
  ciphertext: string;
}

/** A third-party OAuth provider as the vault's client (Mandate is the client here). */
export interface VaultProviderMetadata {
  authorizationEndpoint: string;
  tokenEndpoint: string;
  /** RFC 7009 endpoint; null when the provider has none (unlink then only forgets the tokens). */
  revocationEndpoint: string | null;
  clientId: string;
  tokenEndpointAuthMethod: 'client_secret_basic' | 'client_secret_post' | 'none';
  scopes: string[];
  /**
   * The provider's RFC 8414 `issuer`, when known: an `iss` in its authorization response must equal
   * it (RFC 9207). Absent on connections saved without one (then `iss` is not checked).
   */
  issuer?: string;
  /** RFC 8414 `authorization_response_iss_parameter_supported`: a response without `iss` is refused. Needs `issuer`. */
  authorizationResponseIssParameterSupported?: boolean;
}

/** An admin-configured connection: a third-party OAuth provider or a static API key provider. */
export interface VaultConnectionRecord {
  id: string;
  kind: 'oauth' | 'static';
  displayName: string;
  /** Null for static-key connections. */
  provider: VaultProviderMetadata | null;
  /** OAuth connections: the client secret sealed ('' for a public client), bound to `provider` (vault/connections.ts); null for static ones. */
  clientSecret: VaultSealedRecord | null;
  createdAt: number;
  updatedAt: number;
}

export type VaultEntryStatus = 'ok' | 'refresh_failed' | 'revoked';

/** One user's linked account (or static key) at one connection; at most one per user and connection. */
export interface VaultEntryRecord {
  id: string;
  userId: string;
  connectionId: string;
  /** Sealed JSON: { access_token, refresh_token, expires_at, scope } or { api_key }. */
  sealed: VaultSealedRecord;
  status: VaultEntryStatus;
  /** Why the last refresh failed (the provider's error code), never a token. */
  lastError: string | null;
  /**
   * Epoch seconds until which one server instance holds the right to refresh this entry
   * (entries.claimRefresh); null when nobody is refreshing. Rotating providers revoke the whole
   * grant when a refresh token is used twice (RFC 9700 §4.14.2), so instances must not race.
   */
  refreshLeaseUntil: number | null;
  createdAt: number;
  updatedAt: number;
}

/**
 * SCIM 2.0 (issue 5, RFC 7643 §4.1): what a provisioning client sets on a user that Mandate's
 * UserRecord does not carry. Stored in nullable columns of `users` (0006-scim).
 */
export interface ScimUserAttributes {
  userId: string;
  externalId: string | null;
  /** RFC 7643 §4.1.1 `name` (givenName, familyName, formatted, …). */
  name: Record<string, string> | null;
  /** RFC 7643 §4.1.2 `emails`; null = derived from the user's email. */
  emails: { value: string; type?: string; primary?: boolean; display?: string }[] | null;
  /** Set by a SCIM DELETE: the user stays (disabled) for the audit trail, SCIM answers 404. */
  deletedAt: number | null;
  /** When SCIM disabled the user, cleared by any other deprovisioning (scim/user-guards.ts); null = not SCIM's disablement. */
  disabledAt: number | null;
}

/** A SCIM group (RFC 7643 §4.2); members are users (user_group_members). */
export interface GroupRecord {
  id: string;
  displayName: string;
  externalId: string | null;
  createdAt: number;
  updatedAt: number;
}

/**
 * SSO federation (issue 5, HU-1/EN-1): the account at an upstream OpenID Provider that stands for
 * a local user. `subject` is the provider's `sub` (OIDC Core §5.7: unique per issuer only).
 */
export interface UpstreamIdentityRecord {
  providerId: string;
  subject: string;
  userId: string;
  /** The email the provider last asserted (informational; never used to find the identity). */
  email: string | null;
  createdAt: number;
  lastLoginAt: number | null;
}

/** A pending redirect to an upstream provider: its checks, bound to one interaction, single use. */
export interface UpstreamLoginStateRecord {
  /** SHA-256 of the `state` sent to the provider. */
  stateHash: string;
  interactionId: string;
  providerId: string;
  nonce: string;
  /** RFC 7636 code_verifier; lives only until the callback (or expiry). */
  codeVerifier: string;
  createdAt: number;
  expiresAt: number;
}
