/**
 * Admin routes are declared once, as data: method, path, zod schemas for path parameters, query
 * and body, and the success response. The same declaration validates requests (the route guard)
 * and produces the OpenAPI document (openapi.ts) — the Logto lesson: the schema the server
 * enforces is the schema it publishes.
 */
import type { Context, Hono } from 'hono';
import type { z } from 'zod';
import { InvalidRequestError, type OAuthError } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import { Paths } from '../endpoints/paths.ts';
import { clientIp } from '../http/client-ip.ts';
import { readJsonObject } from '../http/params.ts';
import { inTransaction } from '../clients/lifecycle.ts';
import { authenticateAdmin, type AdminPrincipal } from './auth.ts';

type Schema = z.ZodType;
type Out<S> = S extends Schema ? z.output<S> : undefined;

/** What a route's `prepare` sees: the validated request, outside any transaction. */
export interface PrepareInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  admin: AdminPrincipal;
  /** The server's context: `prepare` runs before the route's transaction begins. */
  ctx: ServerContext;
  c: Context;
}

/** The same, inside the route: `ctx`'s storage is the route's transaction (writes) or the server's (reads). */
export interface HandlerInput<P, Q, B, R = undefined> extends PrepareInput<P, Q, B> {
  /** Non-secret identifiers to add to the call's audit event. */
  auditData: Record<string, unknown>;
  /** What `prepare` returned (undefined without one). */
  prepared: R;
}

export interface RouteDefinition<P extends Schema | undefined, Q extends Schema | undefined, B extends Schema | undefined, R = undefined> {
  method: 'get' | 'post' | 'put' | 'delete';
  /** Relative to Paths.admin, Hono syntax (`/clients/:clientId`). */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /** The error a body that fails its schema gets (admin client bodies answer like RFC 7591). */
  invalidBody?: (message: string) => OAuthError;
  success: { status: 200 | 201 | 204; description: string; schema?: Schema };
  /** Error statuses worth documenting besides 400/401/403. */
  errors?: number[];
  /** Writes run in one storage transaction with their audit event, unless they touch other resources (keys). */
  transactional?: boolean;
  /** The transaction is re-run on a PostgreSQL deadlock (grants/shared/commit.ts): only for handlers writing through their context alone. */
  retryOnDeadlock?: boolean;
  /**
   * Slow work that needs no storage (scrypt, tens of ms), run before the route's transaction
   * begins: on SQLite an open transaction holds the one connection, queueing every other
   * statement of the server behind it. Its result reaches `handle` as `prepared`.
   */
  prepare?(input: PrepareInput<Out<P>, Out<Q>, Out<B>>): Promise<R>;
  handle(input: HandlerInput<Out<P>, Out<Q>, Out<B>, R>): Promise<unknown>;
}

/** A route with its types erased, as the registry and the OpenAPI generator see it. */
export type AdminRoute = RouteDefinition<Schema | undefined, Schema | undefined, Schema | undefined, unknown>;

export function defineRoute<P extends Schema | undefined = undefined, Q extends Schema | undefined = undefined, B extends Schema | undefined = undefined, R = undefined>(
  def: RouteDefinition<P, Q, B, R>,
): AdminRoute {
  return def as unknown as AdminRoute;
}

function parseWith(schema: Schema | undefined, value: unknown, part: string, toError: (message: string) => OAuthError = (m) => new InvalidRequestError(m)): unknown {
  if (!schema) return undefined;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = [part, ...issue.path.map(String)].join('.');
  throw toError(`Invalid ${where}: ${issue.message}.`);
}

export function registerRoute(app: Hono, ctx: ServerContext, route: AdminRoute): void {
  app[route.method](`${Paths.admin}${route.path}`, async (c) => {
    const admin = await authenticateAdmin(c, ctx);
    const params = parseWith(route.params, c.req.param(), 'path');
    const query = parseWith(route.query, c.req.query(), 'query');
    const body = route.body ? parseWith(route.body, await readJsonObject(c), 'body', route.invalidBody) : undefined;
    const prepared = route.prepare ? await route.prepare({ params, query, body, admin, ctx, c } as never) : undefined;
    const run = async (rctx: ServerContext) => {
      const auditData: Record<string, unknown> = { ...(params as Record<string, unknown> | undefined) };
      const result = await route.handle({ params, query, body, admin, ctx: rctx, c, auditData, prepared } as never);
      // Reads are audited too: listing users or consents is access to personal data.
      await rctx.audit.record({
        event: `admin.${route.operationId}`,
        userId: admin.userId,
        clientId: admin.clientId,
        ip: clientIp(c),
        result: 'success',
        data: { jti: admin.jti, ...auditData },
      });
      return result;
    };
    const write = route.method !== 'get' && route.transactional !== false;
    const result = write ? await inTransaction(ctx, run, { retryOnDeadlock: route.retryOnDeadlock === true }) : await run(ctx);
    const headers = { 'cache-control': 'no-store' };
    if (route.success.status === 204) return c.body(null, 204, headers);
    return c.json(result as object, route.success.status, headers);
  });
}
