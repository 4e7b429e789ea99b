/**
 * The admin API is an OAuth protected resource of Mandate itself: callers present a Mandate access
 * token (RFC 9068 JWT, RFC 6750 Bearer) carrying the `mandate:admin` scope.
 *
 *   1. Bearer token present and well-formed                   401 (no error code when absent, RFC 6750 §3.1)
 *   2. signature, iss, exp, typ at+jwt                         401 invalid_token
 *   3. audience: the issuer, or the admin API base URL         401 invalid_token
 *      (request admin tokens with resource=<issuer> or resource=<issuer>/admin/v1; a token
 *      requested without a resource carries the issuer as its audience)
 *   4. not sender-constrained: DPoP-bound tokens need a proof the admin API does not verify,
 *      so they are refused rather than accepted as bearer tokens (RFC 9449 §7.1)   401
 *   5. issued and not revoked (storage.accessTokens by jti)     401 invalid_token
 *   6. scope contains mandate:admin                             403 insufficient_scope
 *   7. the principal is still entitled: a user token's user is an enabled admin; a service
 *      token's client still exists and is registered with the admin scope      401 / 403
 */
import type { Context } from 'hono';
import { InsufficientScopeError, InvalidTokenError } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import { ADMIN_SCOPE, Paths } from '../endpoints/paths.ts';
import { clientIp } from '../http/client-ip.ts';

export interface AdminPrincipal {
  jti: string;
  clientId: string;
  userId: string | null;
}

const REALM = 'realm="mandate-admin"';
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

function invalidToken(description: string, withError = true): InvalidTokenError {
  const header = withError ? `Bearer ${REALM}, error="invalid_token", error_description="${description}"` : `Bearer ${REALM}`;
  return new InvalidTokenError(description, { headers: { 'www-authenticate': header } });
}

function insufficientScope(description: string): InsufficientScopeError {
  return new InsufficientScopeError(description, {
    headers: { 'www-authenticate': `Bearer ${REALM}, error="insufficient_scope", scope="${ADMIN_SCOPE}", error_description="${description}"` },
  });
}

export function adminAudiences(issuer: string): string[] {
  return [issuer, `${issuer}${Paths.admin}`];
}

export async function authenticateAdmin(c: Context, ctx: ServerContext): Promise<AdminPrincipal> {
  const authorization = c.req.header('authorization');
  if (!authorization) throw invalidToken('An access token with the mandate:admin scope is required.', false);
  if (/^DPoP /i.test(authorization)) throw invalidToken('The admin API accepts Bearer tokens only; request the admin token without DPoP.');
  const match = BEARER.exec(authorization);
  if (!match) throw invalidToken('The Authorization header must carry a Bearer access token.');

  let payload: Record<string, unknown>;
  try {
    ({ payload } = await ctx.keys.verify(match[1]!, { typ: 'at+jwt', audience: adminAudiences(ctx.config.issuer) }));
  } catch (err) {
    ctx.logger.debug({ err: (err as Error).message }, 'admin token rejected');
    throw invalidToken('The access token is invalid, expired, or not issued for the admin API.');
  }
  if (payload.cnf !== undefined) throw invalidToken('DPoP-bound tokens are not accepted by the admin API; request a Bearer token.');
  const jti = typeof payload.jti === 'string' ? payload.jti : null;
  const record = jti ? await ctx.storage.accessTokens.get(jti) : null;
  if (!jti || !record || record.revokedAt !== null || record.expiresAt <= ctx.now()) throw invalidToken('The access token has been revoked or is unknown.');

  const scopes = new Set(String(payload.scope ?? '').split(' '));
  const principal: AdminPrincipal = { jti, clientId: record.clientId, userId: record.userId };
  if (!scopes.has(ADMIN_SCOPE)) await deny(c, ctx, principal, `The access token lacks the ${ADMIN_SCOPE} scope.`);
  await checkEntitlement(c, ctx, principal);
  return principal;
}

async function checkEntitlement(c: Context, ctx: ServerContext, principal: AdminPrincipal): Promise<void> {
  if (principal.userId !== null) {
    const user = await ctx.storage.users.get(principal.userId);
    if (!user || user.disabled) throw invalidToken('The user this token was issued to is disabled or no longer exists.');
    if (!user.isAdmin) await deny(c, ctx, principal, 'The user this token was issued to is not an administrator.');
    return;
  }
  const client = await ctx.storage.clients.get(principal.clientId);
  if (!client) throw invalidToken('The client this token was issued to no longer exists.');
  if (!client.scope.split(' ').includes(ADMIN_SCOPE)) await deny(c, ctx, principal, `The client this token was issued to is not registered with the ${ADMIN_SCOPE} scope.`);
}

async function deny(c: Context, ctx: ServerContext, principal: AdminPrincipal, reason: string): Promise<never> {
  await ctx.audit.record({
    event: 'admin.denied',
    userId: principal.userId,
    clientId: principal.clientId,
    ip: clientIp(c),
    result: 'failure',
    reason,
    data: { method: c.req.method, path: c.req.path, jti: principal.jti },
  });
  throw insufficientScope(reason);
}
