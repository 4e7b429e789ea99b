/**
 * SCIM 2.0 (RFC 7643, RFC 7644) under /scim/v2: discovery, /Users, /Groups. README.md in this
 * folder gives the design; http/app.ts mounts this with one line.
 */
import type { Hono } from 'hono';
import type { ServerContext } from '../context.ts';
import { allSchemas, findResourceType, findSchema, RESOURCE_SCHEMAS, resourceType, schemaResource, serviceProviderConfig } from './discovery.ts';
import { notFound, scimJson } from './errors.ts';
import { registerGroupRoutes } from './group-routes.ts';
import { param, scimHandler } from './handler.ts';
import { LIST_SCHEMA } from './resource-schemas.ts';
import { SCIM_BASE } from './paths.ts';
import { registerUserRoutes } from './user-routes.ts';

function listOf(resources: Record<string, unknown>[]): Record<string, unknown> {
  return { schemas: [LIST_SCHEMA], totalResults: resources.length, startIndex: 1, itemsPerPage: resources.length, Resources: resources };
}

export function registerScimRoutes(app: Hono, ctx: ServerContext): void {
  const issuer = ctx.config.issuer;
  app.get(`${SCIM_BASE}/ServiceProviderConfig`, scimHandler(ctx, async () => scimJson(serviceProviderConfig(issuer), 200)));
  app.get(`${SCIM_BASE}/ResourceTypes`, scimHandler(ctx, async () => scimJson(listOf(RESOURCE_SCHEMAS.map((r) => resourceType(issuer, r))), 200)));
  app.get(`${SCIM_BASE}/ResourceTypes/:name`, scimHandler(ctx, async (c) => scimJson(resourceType(issuer, findResourceType(param(c, 'name'))), 200)));
  app.get(`${SCIM_BASE}/Schemas`, scimHandler(ctx, async () => scimJson(listOf(allSchemas().map((s) => schemaResource(issuer, s))), 200)));
  app.get(`${SCIM_BASE}/Schemas/:id`, scimHandler(ctx, async (c) => scimJson(schemaResource(issuer, findSchema(param(c, 'id'))), 200)));
  registerUserRoutes(app, ctx);
  registerGroupRoutes(app, ctx);
  // Anything else under the SCIM base answers in the SCIM error schema, not the OAuth one.
  app.all(`${SCIM_BASE}/*`, scimHandler(ctx, async (c) => {
    throw notFound(`No SCIM endpoint ${c.req.method} ${c.req.path}.`);
  }));
}
