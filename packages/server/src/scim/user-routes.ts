/** /Users (RFC 7644 §3.3–3.6): list and filter, read, create, replace, patch, delete. */
import type { Hono } from 'hono';
import type { ServerContext } from '../context.ts';
import { scimJson } from './errors.ts';
import { param, read, scimHandler, write, writePrepared } from './handler.ts';
import { listQueryParams, listResponse, parseListQuery, project, projectionQuery, userNameEquals } from './list.ts';
import { SCIM_BASE } from './paths.ts';
import { USER } from './resource-schemas.ts';
import { userResource } from './user-resource.ts';
import { allUsers, createUser, deleteUser, loadUser, loadWritableUser, patchUser, prepareCreate, preparePatch, prepareReplace, replaceUser } from './user-service.ts';

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
    // A password is hashed (prepare*) before the write's transaction begins: user-service.ts.
    const created = await writePrepared(ctx, c, (body) => prepareCreate(ctx, body), createUser);
    return ok(userResource(issuer, created), 201);
  }));

  app.put(`${base}/:id`, scimHandler(ctx, async (c) => {
    const updated = await writePrepared(ctx, c, (body) => prepareReplace(ctx, param(c, 'id'), body), replaceUser);
    return ok(userResource(issuer, updated));
  }));

  app.patch(`${base}/:id`, scimHandler(ctx, async (c) => {
    // The operations apply to the user as locked in the transaction (patchUser), not to preparePatch's read.
    const updated = await writePrepared(ctx, c, (body) => preparePatch(ctx, param(c, 'id'), body), patchUser);
    return ok(userResource(issuer, updated));
  }));

  app.delete(`${base}/:id`, scimHandler(ctx, async (c) => {
    await write(ctx, c, async (w) => deleteUser(w, await loadWritableUser(w.ctx, param(c, 'id'))));
    return new Response(null, { status: 204 });
  }));
}
