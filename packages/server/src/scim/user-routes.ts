/** /Users (RFC 7644 §3.3–3.6): list and filter, read, create, replace, patch, delete. */
import type { Hono } from 'hono';
import type { ServerContext } from '../context.ts';
import { scimJson } from './errors.ts';
import { param, read, scimHandler, write, writeWithBody } from './handler.ts';
import { listQueryParams, listResponse, parseListQuery, project, projectionQuery, userNameEquals } from './list.ts';
import { parsePatchRequest } from './patch-request.ts';
import { SCIM_BASE } from './paths.ts';
import { USER } from './resource-schemas.ts';
import { parseUserInput } from './user-input.ts';
import { userResource } from './user-resource.ts';
import { allUsers, createUser, deleteUser, loadUser, loadWritableUser, patchUser, replaceUser } from './user-service.ts';

export function registerUserRoutes(app: Hono, ctx: ServerContext): void {
  const base = `${SCIM_BASE}/Users`;
  const issuer = ctx.config.issuer;
  const ok = (resource: Record<string, unknown>, status = 200) =>
    scimJson(resource, status, status === 201 ? { location: String((resource.meta as { location: string }).location) } : {});

  app.get(base, scimHandler(ctx, async (c) => {
    const list = await read(ctx, c, 'scim.user.list', { filter: c.req.query('filter') ?? null }, () => parseListQuery(listQueryParams(c), USER), async (q) => ({ q, users: await allUsers(ctx, userNameEquals(q.filter)) }));
    return scimJson(listResponse(list.users.map((u) => userResource(issuer, u)), list.q, USER), 200);
  }));

  app.get(`${base}/:id`, scimHandler(ctx, async (c) => {
    const id = param(c, 'id');
    const found = await read(ctx, c, 'scim.user.read', { user_id: id }, () => projectionQuery(c), async (q) => ({ q, user: await loadUser(ctx, id) }));
    return scimJson(project(userResource(issuer, found.user), found.q), 200);
  }));

  app.post(base, scimHandler(ctx, async (c) => {
    const created = await writeWithBody(ctx, c, (w, body) => createUser(w, parseUserInput(body)));
    return ok(userResource(issuer, created), 201);
  }));

  app.put(`${base}/:id`, scimHandler(ctx, async (c) => {
    const updated = await writeWithBody(ctx, c, async (w, body) => replaceUser(w, await loadWritableUser(w.ctx, param(c, 'id')), parseUserInput(body)));
    return ok(userResource(issuer, updated));
  }));

  app.patch(`${base}/:id`, scimHandler(ctx, async (c) => {
    // The operations apply to the user as locked in this transaction (patchUser), not to this read.
    const updated = await writeWithBody(ctx, c, async (w, body) => {
      const operations = parsePatchRequest(body);
      return patchUser(w, await loadWritableUser(w.ctx, param(c, 'id')), operations);
    });
    return ok(userResource(issuer, updated));
  }));

  app.delete(`${base}/:id`, scimHandler(ctx, async (c) => {
    await write(ctx, c, async (w) => deleteUser(w, await loadWritableUser(w.ctx, param(c, 'id'))));
    return new Response(null, { status: 204 });
  }));
}
