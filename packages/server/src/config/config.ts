/**
 * Server configuration: defaults, then environment variables, then overrides passed by code
 * (tests). Validated once at start; a bad value stops the server with a clear message.
 */
import { z } from 'zod';
import { FederationSchema } from '../federation/schema.ts';

export const AuthorizationDetailsTypeSchema = z.object({
  type: z.string().min(1),
  description: z.string().default(''),
  /** Field names allowed in an authorization_details object of this type (besides `type`). */
  fields: z.array(z.string()).default([]),
  /** Fields that must be present. */
  required: z.array(z.string()).default([]),
});
export type AuthorizationDetailsType = z.infer<typeof AuthorizationDetailsTypeSchema>;

export const ConfigSchema = z.object({
  mode: z.enum(['development', 'production']),
  issuer: z.string().url(),
  port: z.number().int().min(0).max(65535),
  host: z.string().default('127.0.0.1'),
  /** Directory for the embedded SQLite database and the development secret key. */
  dataDir: z.string(),
  /** `postgres://…` selects PostgreSQL; otherwise a SQLite file path (or `:memory:`). */
  databaseUrl: z.string(),
  /** 32 bytes, base64url; encrypts signing keys and TOTP secrets at rest, keys DPoP nonces. */
  secretKey: z.string().min(43),
  signingAlg: z.enum(['ES256', 'EdDSA', 'RS256']).default('ES256'),
  ttl: z
    .object({
      accessToken: z.number().int().positive().default(600),
      refreshToken: z.number().int().positive().default(14 * 24 * 3600),
      /**
       * Absolute lifetime of a refresh token family (RFC 9700 §4.14.2, OAuth 2.1 §4.3): rotation
       * renews `refreshToken` each time, but never past the grant's creation plus this; then the
       * user must authorize again. Seconds; 30 days by default (as Auth0's absolute lifetime).
       */
      refreshTokenAbsolute: z.number().int().positive().default(30 * 24 * 3600),
      authorizationCode: z.number().int().positive().default(60),
      idToken: z.number().int().positive().default(600),
      par: z.number().int().positive().default(60),
      interaction: z.number().int().positive().default(600),
      session: z.number().int().positive().default(8 * 3600),
      /** Client credentials tokens of service identities are short-lived (ID-3). */
      clientCredentials: z.number().int().positive().default(300),
    })
    .prefault({}),
  scopesSupported: z.array(z.string()).default(['openid', 'profile', 'email', 'offline_access']),
  /** Resource indicators (RFC 8707) the server will issue tokens for; empty = any https or loopback URI. */
  resources: z.array(z.string()).default([]),
  authorizationDetailsTypes: z.array(AuthorizationDetailsTypeSchema).default([]),
  dcr: z
    .object({
      policy: z.enum(['off', 'allowlist', 'open']).default('off'),
      softwareIds: z.array(z.string()).default([]),
      /** Registrations per client address per minute (IPv6: per /64) under the allowlist and open policies. */
      ratePerMinute: z.number().int().positive().default(10),
    })
    .prefault({}),
  cimd: z
    .object({
      enabled: z.boolean().default(true),
      /** Admin allowlist of client_id URL patterns (CL-3); `*` matches within one path segment or host label, empty = any https URL. */
      allowedUrlPatterns: z.array(z.string()).default([]),
      /**
       * Development/test allowance only: hostnames (with port) whose documents may be fetched over
       * plain http and from loopback or private addresses. Refused in production mode.
       */
      devAllowedHosts: z.array(z.string()).default([]),
      timeoutMs: z.number().int().positive().default(5000),
      maxBytes: z.number().int().positive().default(64 * 1024),
    })
    .prefault({}),
  /**
   * Clients that registered themselves (DCR) or describe themselves (CIMD) are anonymous: nobody
   * vouched for them. The client credentials grant gives such a client only the scopes listed here
   * (intersected with the scope it registered); empty = none, the grant answers invalid_scope
   * (RFC 6749 §5.2). Statically and admin-registered clients are not affected. Reserved
   * `mandate:*` scopes (Mandate's own APIs) are refused here: an anonymous client never gets them.
   */
  selfRegisteredClients: z
    .object({
      clientCredentialsScopes: z
        .array(
          z.string().refine((s) => !s.startsWith('mandate:'), {
            message: 'selfRegisteredClients.clientCredentialsScopes must not list reserved mandate:* scopes: anonymous self-registered (DCR/CIMD) clients never get access to Mandate\'s own APIs',
          }),
        )
        .default([]),
    })
    .prefault({}),
  dpop: z
    .object({
      algs: z.array(z.string()).default(['ES256', 'EdDSA', 'RS256', 'PS256']),
      /** Require a server nonce (RFC 9449 §8) on every DPoP proof at the token endpoint. */
      requireNonce: z.boolean().default(false),
      /** Accepted clock difference for proof `iat`, seconds. */
      iatWindow: z.number().int().positive().default(60),
    })
    .prefault({}),
  login: z
    .object({
      /** Failed logins per account and per IP in 15 minutes before refusing. */
      maxFailures: z.number().int().positive().default(10),
    })
    .prefault({}),
  /** Periodic purge of expired rows (storage/maintenance.ts); the audit log is never purged. */
  maintenance: z
    .object({
      /** Seconds between sweeps; 0 disables the sweep. */
      purgeIntervalSeconds: z.number().int().nonnegative().default(300),
      /** Rows stay this long past their expiry: covers clock skew of anyone still checking them. */
      graceSeconds: z.number().int().nonnegative().default(3600),
    })
    .prefault({}),
  /** Trusted external JWT issuers of the jwt-bearer grant: workload identity (CL-8) and ID-JAG (DL-3). */
  federation: FederationSchema,
  /**
   * Token exchange (RFC 8693, issue 3): which token profile each target resource gets, how deep
   * an actor chain may grow, and the other authorization servers ID-JAGs may be issued for.
   * grants/token-exchange/README.md documents the profiles.
   */
  tokenExchange: z
    .object({
      /** Lifetime of exchanged access tokens (never longer than the subject token's remaining life). */
      ttl: z.number().int().positive().default(300),
      /** Profile of resources without their own entry: `impersonation` (sub = user, act = agent) or `delegation` (sub = agent, on_behalf_of = user). */
      defaultProfile: z.enum(['impersonation', 'delegation']).default('impersonation'),
      /** Longest `act` chain any exchanged token may carry (RFC 8693 §4.1 nesting levels). */
      maxDepth: z.number().int().min(1).max(32).default(5),
      /** Longest lifetime (exp - iat) an agent's signed actor token may have, seconds. */
      actorTokenMaxLifetime: z.number().int().positive().default(300),
      resources: z
        .array(
          z.object({
            /** The resource indicator (RFC 8707) / audience this policy is for. */
            resource: z.string().min(1),
            profile: z.enum(['impersonation', 'delegation']).optional(),
            /** Longest actor chain a token for this resource may carry. */
            maxDepth: z.number().int().min(1).max(32).optional(),
            /** The most any exchanged token for this resource may carry; absent = no extra limit. */
            scopes: z.array(z.string()).optional(),
            /** Per-client scope policy for this audience (client_id → scopes); absent client = the client's own registered scope. */
            clientScopes: z.record(z.string(), z.array(z.string())).optional(),
            /** Clients that operate this resource: they may exchange tokens whose `aud` is this resource (on-behalf-of). */
            exchangers: z.array(z.string()).default([]),
          }),
        )
        .default([]),
      /** Other authorization servers (by issuer) ID-JAGs may be issued for (draft-ietf-oauth-identity-assertion-authz-grant). */
      idJagAudiences: z
        .array(
          z.object({
            issuer: z.string().url(),
            /** The most an ID-JAG for this authorization server may carry. */
            scopes: z.array(z.string()).default([]),
            /** Our client_id → the client's id at that authorization server; absent = the same id. */
            clientIds: z.record(z.string(), z.string()).default({}),
            /** Clients allowed to request ID-JAGs for this audience; empty = any client registered for token exchange. */
            clients: z.array(z.string()).default([]),
          }),
        )
        .default([]),
      /** Lifetime of issued ID-JAGs (the draft asks for short-lived grants). */
      idJagTtl: z.number().int().positive().max(300).default(300),
    })
    .prefault({}),
  /**
   * Token vault (issue 5, VA-2): which clients and agents may receive which connection's
   * credential through token exchange (`audience=urn:mandate:vault:<connection>`), and which scopes
   * the user's subject token must carry. No entry for a connection = never released.
   * grants/token-exchange/vault-release.ts applies it.
   */
  vault: z
    .object({
      /**
       * Key file of the vault's key-encryption keys (vault/kek.ts `keysFromFile`):
       * `{ "current": "<id>", "keys": { "<id>": "<32 bytes base64url>" } }`; env MANDATE_VAULT_KEY_FILE.
       * Absent = the KEK derived from MANDATE_SECRET_KEY. Rotation: add a key, make it current,
       * restart, run `rewrap` (cli/vault-rewrap.ts or POST /admin/v1/vault/rewrap), then drop the old key.
       */
      keyFile: z.string().min(1).optional(),
      release: z
        .array(
          z.object({
            /** The connection id (vault_connections.id). */
            connection: z.string().min(1),
            /** Client ids that may receive the credential. */
            clients: z.array(z.string().min(1)).min(1),
            /** Agent ids that may act in a release (the acting agent and every actor of the subject token); empty = releases without any agent only. */
            agents: z.array(z.string().min(1)).default([]),
            /** Scopes the subject token must all carry (e.g. `vault:github`). */
            scope: z.array(z.string().min(1)).default([]),
          }),
        )
        .default([]),
    })
    .prefault({}),
  /** Static clients from configuration (registered at start, source 'static'). */
  clients: z.array(z.record(z.string(), z.unknown())).default([]),
  /** Secure cookies need https; on plain-http loopback development the `__Host-` prefix cannot be used. */
  cookieSecure: z.boolean().optional(),
  logLevel: z.string().default('info'),
});

export type MandateConfig = z.infer<typeof ConfigSchema>;
export type MandateConfigInput = z.input<typeof ConfigSchema>;
