/** Endpoint paths, relative to the issuer. Metadata and routes both read them from here. */
export const Paths = {
  authorization: '/authorize',
  token: '/token',
  par: '/par',
  introspection: '/introspect',
  revocation: '/revoke',
  userinfo: '/userinfo',
  registration: '/register',
  jwks: '/jwks.json',
  /** Login, TOTP and consent pages (interaction/routes.ts). */
  interaction: '/interaction',
  /** The signed-in user's passkeys (account/routes.ts). */
  accountPasskeys: '/account/passkeys',
  /** The user's own sessions and consents, JSON with a Bearer token (account/self-service.ts). */
  accountApi: '/account/v1',
  /** Sign-out: ends the browser's session and revokes its grants (account/logout.ts). */
  accountLogout: '/account/logout',
  admin: '/admin/v1',
  openapi: '/admin/v1/openapi.json',
  /** Audit events reported by resource servers (endpoints/audit-ingest.ts). */
  auditEvents: '/audit/events',
  /** Agent identities managed by their owners (agents/routes.ts, issue 3). */
  agents: '/agents',
  /** The signed revocation feed resource servers poll (revocation/feed.ts, CO-1). */
  revocationFeed: '/revocations',
} as const;

/** The scope that unlocks the admin API. */
export const ADMIN_SCOPE = 'mandate:admin';

/** The scope that lets a user manage their own agents (agents/routes.ts). */
export const AGENTS_SCOPE = 'mandate:agents';

/** The scope that lets a user list and revoke their own sessions and consents (account/self-service.ts). */
export const ACCOUNT_SCOPE = 'mandate:account';

export function endpointUrl(issuer: string, path: string): string {
  return `${issuer}${path}`;
}

/**
 * The issuer's path: '' for an issuer at the root of its host, '/p' for `https://host/p`.
 * http/app.ts mounts every endpoint under it, so `endpointUrl(issuer, path)` is always served.
 */
export function issuerPath(issuer: string): string {
  return new URL(issuer).pathname.replace(/\/+$/, '');
}

/** The namespace of Mandate's own APIs; new management scopes land in it and are reserved by default. */
const MANDATE_NAMESPACE = 'mandate:';

/** Mandate scopes a user holds over their own resources: any owner may hold (and lend) them. */
const USER_SCOPES: ReadonlySet<string> = new Set([AGENTS_SCOPE, ACCOUNT_SCOPE]);

/**
 * True for a scope only an administrator (or a client an administrator registered) may hold:
 * owners cannot lend it to agents (agents/scope-ceiling.ts), self-registered clients cannot
 * register it (clients/metadata.ts).
 */
export function isAdministratorScope(scope: string): boolean {
  return scope.startsWith(MANDATE_NAMESPACE) && !USER_SCOPES.has(scope);
}
