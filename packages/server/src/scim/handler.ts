/**
 * The frame every SCIM route runs in: errors answered in the SCIM Error schema (errors.ts),
 * SCIM JSON responses, writes in one storage transaction with their audit events, and reads
 * audited too (listing users is access to personal data, as in the admin API).
 */
import type { Context } from 'hono';
import type { ServerContext } from '../context.ts';
import { inTransaction } from '../clients/lifecycle.ts';
import { clientIp } from '../http/client-ip.ts';
import { authenticateScim, type ScimPrincipal } from './auth.ts';
import { readScimBody } from './body.ts';
import { ERROR_SCHEMA, isUniqueViolation, ScimError, scimErrorResponse, scimJson, uniqueness } from './errors.ts';
import type { WriteContext } from './user-service.ts';

export function scimHandler(ctx: ServerContext, fn: (c: Context) => Promise<Response>) {
  return async (c: Context): Promise<Response> => {
    try {
      return await fn(c);
    } catch (err) {
      const known = scimErrorResponse(isUniqueViolation(err) ? uniqueness('The userName or displayName was taken by a concurrent request.') : err);
      if (known) return known;
      ctx.logger.error({ err, path: c.req.path, method: c.req.method }, 'unhandled SCIM error');
      return scimJson({ schemas: [ERROR_SCHEMA], status: '500', detail: 'An unexpected error occurred.' }, 500);
    }
  };
}

/** Authenticates, then runs `fn` in one transaction whose audit log writes in it; then its after-commit tasks. */
export async function write<T>(ctx: ServerContext, c: Context, fn: (w: WriteContext) => Promise<T>): Promise<T> {
  return writeAs(ctx, c, await authenticateScim(c, ctx), fn);
}

/**
 * Like write, for requests with a body: authenticates first, so an anonymous caller gets its 401
 * without the server reading (up to MAX_BODY_BYTES) or parsing anything; then reads the body
 * before the transaction begins, so a slow upload holds no storage transaction open.
 */
export async function writeWithBody<T>(ctx: ServerContext, c: Context, fn: (w: WriteContext, body: Record<string, unknown>) => Promise<T>): Promise<T> {
  return writePrepared(ctx, c, async (body) => body, fn);
}

/**
 * Thrown inside a write's transaction when what `prepare` made does not fit what the transaction
 * found: the transaction rolls back, `redo` runs outside it, and the write runs once more.
 */
export class PrepareAgain<P> extends Error {
  constructor(readonly redo: () => Promise<P>) {
    super('The write needs preparing again outside its transaction.');
  }
}

/**
 * Like writeWithBody, with `prepare` between reading the body and the transaction: slow work that
 * needs no transaction (scrypt, tens of ms) runs there, because on SQLite an open transaction
 * holds the one connection and every other statement of the server waits behind it.
 */
export async function writePrepared<P, T>(ctx: ServerContext, c: Context, prepare: (body: Record<string, unknown>) => Promise<P>, fn: (w: WriteContext, prepared: P) => Promise<T>): Promise<T> {
  const principal = await authenticateScim(c, ctx);
  let prepared: P = await prepare(await readScimBody(c));
  for (let attempt = 1; ; attempt++) {
    try {
      return await writeAs(ctx, c, principal, (w) => fn(w, prepared));
    } catch (err) {
      if (!(err instanceof PrepareAgain)) throw err;
      // Changed again between the second preparation and its transaction: a writer racing this one
      // twice. Not a fault of ours (no 500): 409, and the client sends the request again.
      if (attempt > 1) throw new ScimError(409, null, 'The resource changed while the request was processed; send it again.');
      // Once: the second preparation is made from what the first transaction found.
      prepared = (await err.redo()) as P;
    }
  }
}

async function writeAs<T>(ctx: ServerContext, c: Context, principal: ScimPrincipal, fn: (w: WriteContext) => Promise<T>): Promise<T> {
  const tasks: (() => Promise<void>)[] = [];
  const result = await inTransaction(ctx, (tx) => fn({ ctx: tx, c, principal, afterCommit: (task) => tasks.push(task) }));
  for (const task of tasks) await task();
  return result;
}

/**
 * Authenticates a read, parses its query, loads what it asks for, then audits it. Parsing comes
 * before the audit so a query refused with a 400 is never recorded as a read; loading comes
 * before it so a read of an unknown id is recorded as the failure it is (reason not_found),
 * not as a successful read of personal data.
 */
export async function read<Q, R>(ctx: ServerContext, c: Context, event: string, data: Record<string, unknown>, parseQuery: () => Q, load: (query: Q) => Promise<R>): Promise<R> {
  const principal = await authenticateScim(c, ctx);
  const query = parseQuery();
  const entry = { event, clientId: principal.clientId, userId: principal.userId, ip: clientIp(c), data: { jti: principal.jti, ...data } };
  let result: R;
  try {
    result = await load(query);
  } catch (err) {
    if (err instanceof ScimError && err.status === 404) await ctx.audit.record({ ...entry, result: 'failure', reason: 'not_found' });
    throw err;
  }
  await ctx.audit.record({ ...entry, result: 'success' });
  return result;
}

/** A path parameter of the matched route (always present when the route matched). */
export function param(c: Context, name: string): string {
  return c.req.param(name) ?? '';
}
