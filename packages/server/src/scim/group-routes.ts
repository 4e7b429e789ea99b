/** /Groups (RFC 7644 §3.3–3.6): list and filter, read, create, replace, patch (members), delete. */
import type { Hono } from 'hono';
import type { ServerContext } from '../context.ts';
import { scimJson } from './errors.ts';
import { allGroups, createGroup, deleteGroup, loadGroup, replaceGroup, type GroupParts } from './group-service.ts';
import { groupResource, parseGroupInput } from './group-resource.ts';
import { param, read, scimHandler, write, writeWithBody } from './handler.ts';
import { listQueryParams, listResponse, parseListQuery, project, projectionQuery } from './list.ts';
import { applyPatch } from './patch-apply.ts';
import { parsePatchRequest } from './patch-request.ts';
import { SCIM_BASE } from './paths.ts';
import { GROUP } from './resource-schemas.ts';

export function registerGroupRoutes(app: Hono, ctx: ServerContext): void {
  const base = `${SCIM_BASE}/Groups`;
  const issuer = ctx.config.issuer;
  const resource = (g: GroupParts) => groupResource(issuer, g.group, g.members);

  app.get(base, scimHandler(ctx, async (c) => {
    const list = await read(ctx, c, 'scim.group.list', { filter: c.req.query('filter') ?? null }, () => parseListQuery(listQueryParams(c), GROUP), async (q) => ({ q, groups: await allGroups(ctx) }));
    return scimJson(listResponse(list.groups.map(resource), list.q, GROUP), 200);
  }));

  app.get(`${base}/:id`, scimHandler(ctx, async (c) => {
    const id = param(c, 'id');
    const found = await read(ctx, c, 'scim.group.read', { group_id: id }, () => projectionQuery(c), async (q) => ({ q, group: await loadGroup(ctx, id) }));
    return scimJson(project(resource(found.group), found.q), 200);
  }));

  app.post(base, scimHandler(ctx, async (c) => {
    const created = resource(await writeWithBody(ctx, c, (w, body) => createGroup(w, parseGroupInput(body))));
    return scimJson(created, 201, { location: String((created.meta as { location: string }).location) });
  }));

  app.put(`${base}/:id`, scimHandler(ctx, async (c) => {
    return scimJson(resource(await writeWithBody(ctx, c, async (w, body) => replaceGroup(w, await loadGroup(w.ctx, param(c, 'id')), parseGroupInput(body)))), 200);
  }));

  app.patch(`${base}/:id`, scimHandler(ctx, async (c) => {
    const updated = await writeWithBody(ctx, c, async (w, body) => {
      const operations = parsePatchRequest(body);
      const current = await loadGroup(w.ctx, param(c, 'id'));
      return replaceGroup(w, current, parseGroupInput(applyPatch(resource(current), operations, GROUP)));
    });
    return scimJson(resource(updated), 200);
  }));

  app.delete(`${base}/:id`, scimHandler(ctx, async (c) => {
    await write(ctx, c, async (w) => deleteGroup(w, await loadGroup(w.ctx, param(c, 'id'))));
    return new Response(null, { status: 204 });
  }));
}
