/**
 * Authorization server metadata: RFC 8414 and OpenID Connect Discovery 1.0 serve one document,
 * at every well-known location an MCP client tries (MCP-AUTHORIZATION C-2, AS-2).
 */
import type { Hono } from 'hono';
import { cors } from 'hono/cors';
import { Acr, ASYMMETRIC_JWS_ALGS, ClientAuthMethod, GrantType } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import { CLAIMS_SUPPORTED } from '../tokens/user-claims.ts';
import { endpointUrl, issuerPath, Paths } from './paths.ts';

/** The grants the token endpoint serves; a new grant handler adds its type here. */
export const GRANT_TYPES_SUPPORTED: readonly string[] = [GrantType.AuthorizationCode, GrantType.RefreshToken, GrantType.ClientCredentials, GrantType.TokenExchange, GrantType.JwtBearer];

/** Client authentication at the token and revocation endpoints; `none` = public clients with PKCE. */
export const TOKEN_ENDPOINT_AUTH_METHODS: readonly string[] = Object.values(ClientAuthMethod);

/** Introspection answers authenticated callers only (RFC 7662 §2.1), so `none` is not offered. */
export const INTROSPECTION_AUTH_METHODS: readonly string[] = TOKEN_ENDPOINT_AUTH_METHODS.filter((m) => m !== ClientAuthMethod.None);

/** The authentication context classes login can reach today (password, password + TOTP). */
export const ACR_VALUES_SUPPORTED: readonly string[] = [Acr.Password, Acr.PasswordTotp];

/** Metadata changes only with configuration or a signing algorithm change; clients may cache it briefly. */
export const METADATA_CACHE_CONTROL = 'public, max-age=300';

/**
 * The well-known paths serving the metadata for `issuer` (C-2). RFC 8414 §3.1 inserts the
 * well-known segment between host and issuer path; OIDC Discovery §4 appends it to the issuer.
 */
export function metadataRoutes(issuer: string): string[] {
  const path = issuerPath(issuer);
  if (path === '') return ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'];
  return [`/.well-known/oauth-authorization-server${path}`, `/.well-known/openid-configuration${path}`, `${path}/.well-known/openid-configuration`];
}

/** The metadata document. `issuer` is the configured issuer, byte for byte (RFC 8414 §3.3). */
export function authorizationServerMetadata(ctx: Pick<ServerContext, 'config' | 'keys'>): Record<string, unknown> {
  const { config } = ctx;
  const url = (path: string): string => endpointUrl(config.issuer, path);
  const clientAuthAlgs = [...ASYMMETRIC_JWS_ALGS];
  return {
    issuer: config.issuer,
    authorization_endpoint: url(Paths.authorization),
    token_endpoint: url(Paths.token),
    // RFC 9126 §5: PAR is offered; whether a client must use it is its own registration setting.
    pushed_authorization_request_endpoint: url(Paths.par),
    require_pushed_authorization_requests: false,
    introspection_endpoint: url(Paths.introspection),
    revocation_endpoint: url(Paths.revocation),
    userinfo_endpoint: url(Paths.userinfo),
    ...(config.dcr.policy !== 'off' ? { registration_endpoint: url(Paths.registration) } : {}),
    jwks_uri: url(Paths.jwks),
    scopes_supported: [...config.scopesSupported],
    // OAuth 2.1: authorization code only; no implicit, no hybrid.
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: [...GRANT_TYPES_SUPPORTED],
    token_endpoint_auth_methods_supported: [...TOKEN_ENDPOINT_AUTH_METHODS],
    token_endpoint_auth_signing_alg_values_supported: clientAuthAlgs,
    revocation_endpoint_auth_methods_supported: [...TOKEN_ENDPOINT_AUTH_METHODS],
    revocation_endpoint_auth_signing_alg_values_supported: clientAuthAlgs,
    introspection_endpoint_auth_methods_supported: [...INTROSPECTION_AUTH_METHODS],
    introspection_endpoint_auth_signing_alg_values_supported: clientAuthAlgs,
    // RFC 7636 §4.2 / AS-2: S256 only; `plain` is refused (C-4: clients refuse servers without this).
    code_challenge_methods_supported: ['S256'],
    // RFC 9207 §3 / AS-5.
    authorization_response_iss_parameter_supported: true,
    // AS-6: URL client_ids (Client ID Metadata Documents).
    client_id_metadata_document_supported: config.cimd.enabled,
    // RFC 9449 §5.1.
    dpop_signing_alg_values_supported: [...config.dpop.algs],
    // OIDC Discovery §3. id_token_signing_alg_values_supported lists what the published keys
    // really use. Discovery asks for RS256 always; Mandate signs with one configured algorithm
    // (ES256 by default, MANDATE_SIGNING_ALG=RS256 for clients that need it) and does not claim more.
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ctx.keys.algorithms(),
    claims_supported: [...CLAIMS_SUPPORTED],
    claims_parameter_supported: false,
    acr_values_supported: [...ACR_VALUES_SUPPORTED],
    // RFC 9396 §10.
    authorization_details_types_supported: config.authorizationDetailsTypes.map((t) => t.type),
    // Request objects (RFC 9101) are not supported; PAR's request_uri is a separate mechanism.
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
  };
}

export function registerDiscoveryRoutes(app: Hono, ctx: ServerContext): void {
  for (const path of metadataRoutes(ctx.config.issuer)) {
    // Public document fetched by browser-based clients too; MCP clients send an
    // MCP-Protocol-Version header, so the preflight must be answered.
    app.use(path, cors({ origin: '*', allowMethods: ['GET', 'HEAD', 'OPTIONS'] }));
    app.get(path, (c) => {
      c.header('cache-control', METADATA_CACHE_CONTROL);
      return c.json(authorizationServerMetadata(ctx));
    });
  }
}
