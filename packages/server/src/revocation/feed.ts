/**
 * The signed revocation feed (CO-1, EN-2): resource servers that validate JWT access tokens
 * locally poll it to learn of revocations introspection would have told them. Each revocation
 * path appends its events in the revoking transaction (storage/repositories/revocations.ts), so
 * the feed is complete; the MCP SDK (issue 4) keeps a cursor and pulls or is pushed the same JWT.
 *
 *   GET  /revocations?after=<seq>&limit=<n>    client authentication with HTTP Basic
 *   POST /revocations  (form: after, limit)    any client authentication method (RFC 6749 §2.3)
 *
 * The answer is one JWT (`application/jwt`, header `typ: revocation-list+jwt`) signed with the
 * authorization server's key, verifiable against its JWKS like an access token:
 *   iss, aud (the caller's client_id), iat, exp (short), jti,
 *   events: [{ seq, jti? | grant_id?, exp, revoked_at, reason }]   ascending seq
 *   next: the cursor for the next call; more: true when another page is waiting.
 * Events whose tokens expired more than REVOCATION_EXPIRY_LEEWAY seconds ago are left out (a resource server
 * accepts a token a little past exp, RFC 7519 §4.1.4 leeway: it must still learn of its revocation). Public clients are refused (clients/auth/none.ts),
 * and so are self-registered ones (DCR, CIMD): the feed names every user's revoked jtis and grants.
 */
import type { Context, Hono } from 'hono';
import { InvalidRequestError, UnauthorizedClientError } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import { authenticateClient } from '../clients/authenticate.ts';
import { isSelfRegistered } from '../clients/self-registered.ts';
import { randomToken } from '../crypto/hash.ts';
import { Paths } from '../endpoints/paths.ts';
import { queryParams, readForm, type Params } from '../http/params.ts';
import type { ClientRecord, RevocationEventRecord } from '../storage/records.ts';
import { REVOCATION_EXPIRY_LEEWAY } from '../storage/repositories/revocations.ts';

/** JOSE `typ` of the feed (RFC 8725 §3.11: explicit typing keeps it from passing for another JWT). */
export const REVOCATION_LIST_TYP = 'revocation-list+jwt';

/** Seconds a feed document stays valid: long enough to verify, too short to replay as current. */
export const FEED_TTL = 60;

export const DEFAULT_FEED_LIMIT = 500;
export const MAX_FEED_LIMIT = 1000;

/** One event as published: exactly one of jti and grant_id. */
export interface PublishedRevocation {
  seq: number;
  jti?: string;
  grant_id?: string;
  exp: number;
  revoked_at: number;
  reason: string;
}

function integerParam(params: Params, name: string, fallback: number, min: number, max: number): number {
  const raw = params.get(name);
  if (raw === undefined) return fallback;
  if (!/^\d{1,15}$/.test(raw)) throw new InvalidRequestError(`${name} must be a non-negative integer.`);
  const value = Number(raw);
  if (value < min || value > max) throw new InvalidRequestError(`${name} must be between ${min} and ${max}.`);
  return value;
}

function published(e: RevocationEventRecord): PublishedRevocation {
  return {
    seq: e.seq,
    ...(e.jti !== null ? { jti: e.jti } : {}),
    ...(e.grantId !== null ? { grant_id: e.grantId } : {}),
    exp: e.expiresAt,
    revoked_at: e.revokedAt,
    reason: e.reason,
  };
}

/** Builds and signs one page of the feed for `audience`. */
export async function signedRevocationList(ctx: ServerContext, audience: string, after: number, limit: number): Promise<string> {
  const now = ctx.now();
  const events = await ctx.storage.revocations.list({ afterSeq: after, limit, expiresAfter: now - REVOCATION_EXPIRY_LEEWAY });
  const last = events.at(-1);
  return ctx.keys.sign(
    {
      iss: ctx.config.issuer,
      aud: audience,
      iat: now,
      exp: now + FEED_TTL,
      jti: randomToken(16),
      events: events.map(published),
      next: last ? last.seq : after,
      more: events.length === limit,
    },
    { typ: REVOCATION_LIST_TYP },
  );
}

/**
 * The feed lists every user's revoked jtis, grant ids, times and reasons: only resource servers an
 * operator registered read it. An anonymous self-registered client is refused, as at introspection
 * (RFC 7662 §4), audit ingest and the admin API.
 */
function refuseSelfRegistered(client: ClientRecord): void {
  if (isSelfRegistered(client)) {
    throw new UnauthorizedClientError('The revocation feed is only open to clients registered by an operator (configuration or admin API); self-registered clients cannot read it.');
  }
}

async function answer(c: Context, ctx: ServerContext, params: Params): Promise<Response> {
  const client = await authenticateClient(ctx, c, params, { endpoint: 'revocationFeed' });
  refuseSelfRegistered(client);
  const after = integerParam(params, 'after', 0, 0, Number.MAX_SAFE_INTEGER);
  const limit = integerParam(params, 'limit', DEFAULT_FEED_LIMIT, 1, MAX_FEED_LIMIT);
  const jwt = await signedRevocationList(ctx, client.clientId, after, limit);
  return c.body(jwt, 200, { 'content-type': 'application/jwt', 'cache-control': 'no-store' });
}

/** Secrets never travel in URLs (they end up in logs): a GET authenticates with HTTP Basic only. */
function refuseCredentialsInUrl(params: Params): Params {
  if (params.has('client_secret') || params.has('client_assertion')) {
    throw new InvalidRequestError('Client credentials must not be sent in the URL: use HTTP Basic, or POST them in the form body.');
  }
  return params;
}

export function registerRevocationFeedRoutes(app: Hono, ctx: ServerContext): void {
  app.get(Paths.revocationFeed, (c) => answer(c, ctx, refuseCredentialsInUrl(queryParams(c))));
  app.post(Paths.revocationFeed, async (c) => answer(c, ctx, await readForm(c)));
}
