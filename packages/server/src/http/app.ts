/**
 * The HTTP surface: one line per endpoint group. Each group lives in its own module and
 * registers its routes; the order here is the order a reader meets them in the protocol.
 */
import { Hono } from 'hono';
import type { ServerContext } from '../context.ts';
import { errorHandler } from './errors.ts';
import { securityHeaders } from './security-headers.ts';
import { issuerPath } from '../endpoints/paths.ts';
import { registerDiscoveryRoutes } from '../endpoints/discovery.ts';
import { registerJwksRoutes } from '../endpoints/jwks.ts';
import { registerParRoutes } from '../endpoints/par.ts';
import { registerAuthorizeRoutes } from '../endpoints/authorize.ts';
import { registerInteractionRoutes } from '../interaction/routes.ts';
import { registerAccountRoutes } from '../account/routes.ts';
import { registerTokenRoutes } from '../endpoints/token.ts';
import { registerIntrospectionRoutes } from '../endpoints/introspect.ts';
import { registerRevocationRoutes } from '../endpoints/revoke.ts';
import { registerUserinfoRoutes } from '../endpoints/userinfo.ts';
import { registerRegistrationRoutes } from '../endpoints/register.ts';
import { registerAdminRoutes } from '../admin/routes.ts';
import { registerAuditIngestRoutes } from '../endpoints/audit-ingest.ts';
import { registerAgentRoutes } from '../agents/routes.ts';
import { registerSelfServiceRoutes } from '../account/self-service.ts';
import { registerLogoutRoutes } from '../account/logout.ts';
import { registerRevocationFeedRoutes } from '../revocation/feed.ts';
import { registerScimRoutes } from '../scim/routes.ts';

/** The app itself, or a view of it (same router, handlers, error handling) rooted at the issuer's path. */
function issuerRoutes(app: Hono, issuer: string): Hono {
  const prefix = issuerPath(issuer);
  return prefix === '' ? app : app.basePath(prefix);
}

export function createApp(ctx: ServerContext): Hono {
  const app = new Hono();
  app.onError(errorHandler(ctx.logger));
  app.notFound((c) => c.json({ error: 'not_found', error_description: `No route for ${c.req.method} ${c.req.path}.` }, 404));
  app.use('*', securityHeaders());

  registerDiscoveryRoutes(app, ctx); // RFC 8414, OIDC Discovery 1.0 (host-level well-known paths)
  // Endpoint URLs are issuer + path: for an issuer with a path (https://host/p) they live under /p.
  const api = issuerRoutes(app, ctx.config.issuer);
  registerJwksRoutes(api, ctx); // RFC 7517
  registerParRoutes(api, ctx); // RFC 9126
  registerAuthorizeRoutes(api, ctx); // RFC 6749 §4.1, OAuth 2.1, RFC 9207
  registerInteractionRoutes(api, ctx); // login, TOTP, consent pages
  registerAccountRoutes(api, ctx); // the user's passkeys (WebAuthn registration)
  registerLogoutRoutes(api, ctx); // CO-1: sign-out ends the session and revokes its grants
  registerTokenRoutes(api, ctx); // RFC 6749 §3.2, RFC 9449, RFC 8707
  registerIntrospectionRoutes(api, ctx); // RFC 7662
  registerRevocationRoutes(api, ctx); // RFC 7009
  registerUserinfoRoutes(api, ctx); // OIDC Core §5.3
  registerRegistrationRoutes(api, ctx); // RFC 7591, RFC 7592
  registerAdminRoutes(api, ctx); // admin API + OpenAPI
  registerAuditIngestRoutes(api, ctx); // AU-1: tool-call events from resource servers
  registerAgentRoutes(api, ctx); // ID-2: owners manage their agents
  registerSelfServiceRoutes(api, ctx); // issue 2, CO-1: users see and revoke their sessions and consents
  registerRevocationFeedRoutes(api, ctx); // CO-1: signed revocation feed for resource servers
  registerScimRoutes(api, ctx); // RFC 7644: SCIM 2.0 provisioning (ID-2 deprovisioning)
  return app;
}
