/**
 * The UserInfo endpoint (OIDC Core §5.3): GET or POST with an access token in the Authorization
 * header, Bearer or DPoP (RFC 9449 §7). The token must be live and carry `openid`; the claims
 * released follow its scope (tokens/user-claims.ts, the same mapping as ID tokens). The token's
 * audience must include the issuer (RFC 9068 §4, TOK-2): a token bound by RFC 8707 to another
 * resource only is refused with invalid_token (userinfo/audience.ts).
 */
import type { Context, Hono } from 'hono';
import { InsufficientScopeError, InvalidTokenError, isOAuthError, parseScope } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import { readForm } from '../http/params.ts';
import { readDpopHeader, verifyDpopProof } from '../dpop/index.ts';
import { userClaims } from '../tokens/user-claims.ts';
import { activeAccessToken, type VerifiedAccessToken } from './token-state.ts';
import { readAccessToken, type AuthScheme, type PresentedAccessToken } from './userinfo/authorization.ts';
import { challengeResponse, unauthenticatedResponse } from './userinfo/challenge.ts';
import { checkUserinfoAudience } from './userinfo/audience.ts';
import { endpointUrl, Paths } from './paths.ts';

export function registerUserinfoRoutes(app: Hono, ctx: ServerContext): void {
  app.on(['GET', 'POST'], Paths.userinfo, (c) => userinfo(ctx, c));
}

async function userinfo(ctx: ServerContext, c: Context): Promise<Response> {
  let scheme: AuthScheme = 'Bearer';
  try {
    // A POST body, when there is one, is read only to refuse a token sent in it (TOK-1).
    const body = c.req.method === 'POST' && c.req.header('content-type') !== undefined ? await readForm(c) : null;
    const presented = readAccessToken(c, body?.has('access_token') ?? false); // RFC 6750 §2.1, RFC 9449 §7.1
    if (!presented) return unauthenticatedResponse(ctx); // RFC 6750 §3.1: no error code
    scheme = presented.scheme;
    const access = await activeAccessToken(ctx, presented.token);
    if (!access) throw new InvalidTokenError('The access token is invalid, expired or revoked.');
    checkUserinfoAudience(access.payload, ctx.config.issuer); // RFC 9068 §4, RFC 8707: aud names this server
    await checkSenderConstraint(ctx, c, presented, access); // RFC 9449 §7.1, §7.2
    const scope = checkOpenidScope(access); // OIDC Core §5.3
    const user = access.record.userId !== null ? await ctx.storage.users.get(access.record.userId) : null;
    if (!user || user.disabled) throw new InvalidTokenError('The access token does not belong to an active user.');
    c.header('Cache-Control', 'no-store');
    return c.json(userClaims(user, scope), 200);
  } catch (err) {
    if (!isOAuthError(err)) throw err;
    return challengeResponse(ctx, scheme, err, err instanceof InsufficientScopeError ? { scope: 'openid' } : {});
  }
}

/**
 * RFC 9449 §7.1: a DPoP-bound token (cnf.jkt) is used with the DPoP scheme and a proof of its key
 * covering this request and the token (ath); §7.2: it is never accepted as a Bearer token.
 */
async function checkSenderConstraint(ctx: ServerContext, c: Context, presented: PresentedAccessToken, access: VerifiedAccessToken): Promise<void> {
  const cnf = access.payload.cnf as { jkt?: unknown } | undefined;
  const jkt = typeof cnf?.jkt === 'string' ? cnf.jkt : null;
  if (jkt === null) {
    if (presented.scheme === 'DPoP') throw new InvalidTokenError('This access token is not DPoP-bound: send it with the Bearer scheme.');
    return;
  }
  if (presented.scheme !== 'DPoP') throw new InvalidTokenError('This access token is DPoP-bound: send it with the DPoP scheme and a DPoP proof (RFC 9449 §7.2).');
  await verifyDpopProof(ctx, {
    proof: readDpopHeader(c),
    htm: c.req.method,
    htu: endpointUrl(ctx.config.issuer, Paths.userinfo),
    accessToken: presented.token,
    expectedJkt: jkt,
    requireNonce: false,
  });
}

function checkOpenidScope(access: VerifiedAccessToken): Set<string> {
  const scope = parseScope(typeof access.payload.scope === 'string' ? access.payload.scope : '') ?? new Set<string>();
  if (!scope.has('openid')) throw new InsufficientScopeError('The access token was not granted the openid scope.');
  return scope;
}
