/**
 * Mandate's own APIs (admin, SCIM, owner agents, account self-service) are OAuth protected
 * resources of Mandate itself: callers present a Mandate access token (RFC 9068 JWT) as an
 * RFC 6750 Bearer token. These are the checks every such API makes, in this order; each API then
 * applies its own policy on the token returned (scope, entitlement, user: admin/auth.ts,
 * agents/owner-auth.ts).
 *
 *   1. Authorization header present                             401, bare challenge (RFC 6750 §3.1)
 *   2. not the DPoP scheme: no proof is verified here            401 invalid_token
 *   3. Bearer syntax (RFC 6750 §2.1)                             401 invalid_token
 *   4. live: signature, iss, exp, typ at+jwt, issued and not revoked, its grant live or, on no
 *      grant, its client registered and its user enabled (endpoints/token-state.ts)   401 invalid_token
 *   5. audience: one the API accepts (RFC 8707)                  401 invalid_token
 *   6. not sender-constrained: a DPoP-bound token needs a proof these APIs do not verify, so it
 *      is refused rather than accepted as a bearer token (RFC 9449 §7.1)   401 invalid_token
 */
import type { Context } from 'hono';
import { InsufficientScopeError, InvalidTokenError } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import { activeAccessToken, type VerifiedAccessToken } from '../endpoints/token-state.ts';

/** One of Mandate's own APIs, as its error responses and audience check name it. */
export interface OwnApi {
  /** Human name in error descriptions ("the admin API"). */
  name: string;
  /** The scope its tokens must carry, named in the challenge (RFC 6750 §3). */
  scope: string;
  realm: string;
  /** Audiences a token for it may carry: the issuer and the API's base URL. */
  audiences: string[];
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/** RFC 6750 §3: a bare challenge (no error code) when no token was sent, §3.1 invalid_token otherwise. */
export function invalidToken(api: OwnApi, description: string, withError = true): InvalidTokenError {
  const realm = `realm="${api.realm}"`;
  const header = withError ? `Bearer ${realm}, error="invalid_token", error_description="${description}"` : `Bearer ${realm}`;
  return new InvalidTokenError(description, { headers: { 'www-authenticate': header } });
}

/** RFC 6750 §3.1 insufficient_scope, naming the scope the API needs. */
export function insufficientScope(api: OwnApi, description: string): InsufficientScopeError {
  return new InsufficientScopeError(description, {
    headers: { 'www-authenticate': `Bearer realm="${api.realm}", error="insufficient_scope", scope="${api.scope}", error_description="${description}"` },
  });
}

/** The live, unbound Mandate access token a request to `api` carries, or an invalid_token error. */
export async function ownApiAccessToken(c: Context, ctx: ServerContext, api: OwnApi): Promise<VerifiedAccessToken> {
  // Live as every other check of Mandate's access tokens reads it: a token row alone outlives a
  // revoked grant or a suspended agent (RFC 7009 §2.1: revoking a grant ends its tokens; ID-2).
  const token = await activeAccessToken(ctx, presentedBearer(c, api));
  if (!token) {
    ctx.logger.debug({ api: api.name }, 'bearer token rejected'); // never the token itself
    throw invalidToken(api, 'The access token is invalid, expired, revoked, or its grant is no longer live.');
  }
  requireAudience(ctx, api, token);
  // RFC 9449 §7.1: a bound token is usable only with a proof of its key, which is not verified here.
  if (token.payload.cnf !== undefined) throw invalidToken(api, `DPoP-bound tokens are not accepted by ${api.name}; request a Bearer token.`);
  return token;
}

function presentedBearer(c: Context, api: OwnApi): string {
  const authorization = c.req.header('authorization');
  if (!authorization) throw invalidToken(api, `An access token with the ${api.scope} scope is required.`, false);
  if (/^DPoP /i.test(authorization)) throw invalidToken(api, `${capitalized(api.name)} accepts Bearer tokens only; request the token without DPoP.`);
  const match = BEARER.exec(authorization);
  if (!match) throw invalidToken(api, 'The Authorization header must carry a Bearer access token.');
  return match[1]!;
}

function requireAudience(ctx: ServerContext, api: OwnApi, { payload }: VerifiedAccessToken): void {
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (audiences.some((a) => typeof a === 'string' && api.audiences.includes(a))) return;
  ctx.logger.debug({ aud: payload.aud, api: api.name }, 'bearer token rejected: audience');
  throw invalidToken(api, `The access token was not issued for ${api.name} (audience).`);
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
