/**
 * The admin API (JSON, under Paths.admin), protected by Mandate access tokens with the
 * mandate:admin scope (auth.ts). Each resource declares its routes as data (route.ts); the
 * OpenAPI document at Paths.openapi is generated from those declarations (openapi.ts).
 * Every call is audited as `admin.<operationId>` (writes in the same transaction as the change);
 * calls refused for lack of the admin scope as `admin.denied`.
 */
import type { Hono } from 'hono';
import type { ServerContext } from '../context.ts';
import { Paths } from '../endpoints/paths.ts';
import { agentRoutes } from './agents.ts';
import { auditRoutes } from './audit-events.ts';
import { clientRoutes } from './clients.ts';
import { custodyRoutes } from './custody.ts';
import { grantRoutes } from './grants.ts';
import { keyRoutes } from './keys.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { registerRoute, type AdminRoute } from './route.ts';
import { sessionRoutes } from './sessions.ts';
import { userRoutes } from './users.ts';
import { vaultConnectionRoutes } from './vault-connections.ts';

export const adminRoutes: readonly AdminRoute[] = [...clientRoutes, ...userRoutes, ...sessionRoutes, ...grantRoutes, ...agentRoutes, ...keyRoutes, ...auditRoutes, ...custodyRoutes, ...vaultConnectionRoutes];

export function registerAdminRoutes(app: Hono, ctx: ServerContext): void {
  // Built on first request, not at start: converting every route schema takes tens of ms that
  // would delay the server's readiness (npm start to ready, issue 2) for a document few fetch.
  let document: ReturnType<typeof buildOpenApiDocument> | null = null;
  // Registered first: `/admin/v1/openapi.json` must not be taken for an authenticated route.
  app.get(Paths.openapi, (c) => c.json((document ??= buildOpenApiDocument(adminRoutes, ctx.config.issuer))));
  for (const route of adminRoutes) registerRoute(app, ctx, route);
}
