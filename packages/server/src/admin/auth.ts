/**
 * The admin API is an OAuth protected resource of Mandate itself: callers present a Mandate access
 * token (RFC 9068 JWT, RFC 6750 Bearer) carrying the `mandate:admin` scope.
 *
 *   1. Bearer token present and well-formed                   401 (no error code when absent, RFC 6750 §3.1)
 *   2. signature, iss, exp, typ at+jwt; issued and not revoked; its grant live (not revoked,
 *      its agent active) or, on no grant, its client registered and its user enabled
 *      (activeAccessToken, endpoints/token-state.ts)            401 invalid_token
 *   3. audience: the issuer, or the admin API base URL         401 invalid_token
 *      (request admin tokens with resource=<issuer> or resource=<issuer>/admin/v1; a token
 *      requested without a resource carries the issuer as its audience)
 *   4. not sender-constrained: DPoP-bound tokens need a proof the admin API does not verify,
 *      so they are refused rather than accepted as bearer tokens (RFC 9449 §7.1)   401
 *   5. scope contains mandate:admin                             403 insufficient_scope
 *   6. the principal is still entitled: a user token's user is an enabled admin; a service
 *      token's client still exists, was registered by the operator (not DCR/CIMD) and with
 *      the admin scope                                          401 / 403
 *
 * Other APIs of Mandate protected the same way (SCIM, scim/auth.ts) pass their own scope,
 * audiences and realm to authenticateBearer; the checks are these, in this order.
 */
import type { Context } from 'hono';
import { InsufficientScopeError, InvalidTokenError } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import { scopeTokens } from '../checks/scope.ts';
import { ADMIN_SCOPE, Paths } from '../endpoints/paths.ts';
import { clientIp } from '../http/client-ip.ts';
import { activeAccessToken } from '../endpoints/token-state.ts';
import { isSelfRegistered } from '../clients/self-registered.ts';

export interface AdminPrincipal {
  jti: string;
  clientId: string;
  userId: string | null;
}

/** An API of Mandate protected by Mandate's own Bearer access tokens. */
export interface ProtectedApi {
  /** Human name in error descriptions ("the admin API"). */
  name: string;
  scope: string;
  realm: string;
  audiences: string[];
  /** Audit event for a caller refused for lack of the scope or entitlement. */
  deniedEvent: string;
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

function invalidToken(api: ProtectedApi, description: string, withError = true): InvalidTokenError {
  const realm = `realm="${api.realm}"`;
  const header = withError ? `Bearer ${realm}, error="invalid_token", error_description="${description}"` : `Bearer ${realm}`;
  return new InvalidTokenError(description, { headers: { 'www-authenticate': header } });
}

function insufficientScope(api: ProtectedApi, description: string): InsufficientScopeError {
  return new InsufficientScopeError(description, {
    headers: { 'www-authenticate': `Bearer realm="${api.realm}", error="insufficient_scope", scope="${api.scope}", error_description="${description}"` },
  });
}

export function adminAudiences(issuer: string): string[] {
  return [issuer, `${issuer}${Paths.admin}`];
}

function adminApi(issuer: string): ProtectedApi {
  return { name: 'the admin API', scope: ADMIN_SCOPE, realm: 'mandate-admin', audiences: adminAudiences(issuer), deniedEvent: 'admin.denied' };
}

export function authenticateAdmin(c: Context, ctx: ServerContext): Promise<AdminPrincipal> {
  return authenticateBearer(c, ctx, adminApi(ctx.config.issuer));
}

export async function authenticateBearer(c: Context, ctx: ServerContext, api: ProtectedApi): Promise<AdminPrincipal> {
  const authorization = c.req.header('authorization');
  if (!authorization) throw invalidToken(api, `An access token with the ${api.scope} scope is required.`, false);
  if (/^DPoP /i.test(authorization)) throw invalidToken(api, `${capitalized(api.name)} accepts Bearer tokens only; request the token without DPoP.`);
  const match = BEARER.exec(authorization);
  if (!match) throw invalidToken(api, 'The Authorization header must carry a Bearer access token.');

  // Live the way every other check of Mandate's access tokens reads it (endpoints/token-state.ts):
  // signature, iss, exp, typ at+jwt, its record issued and not revoked, and its grant live — not
  // revoked, its agent active (ID-2) — or, on no grant, its client registered and its user enabled.
  // A token row alone outlives a revoked grant or a suspended agent (RFC 7009 §2.1: revoking a
  // grant ends the tokens issued on it).
  const token = await activeAccessToken(ctx, match[1]!);
  if (!token) {
    ctx.logger.debug({ api: api.name }, 'bearer token rejected'); // never the token itself
    throw invalidToken(api, 'The access token is invalid, expired, revoked, or its grant is no longer live.');
  }
  const { payload, record } = token;
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!audiences.some((a) => typeof a === 'string' && api.audiences.includes(a))) {
    ctx.logger.debug({ aud: payload.aud, api: api.name }, 'bearer token rejected: audience');
    throw invalidToken(api, `The access token was not issued for ${api.name} (audience).`);
  }
  if (payload.cnf !== undefined) throw invalidToken(api, `DPoP-bound tokens are not accepted by ${api.name}; request a Bearer token.`);
  const jti = record.jti;

  const scopes = new Set(scopeTokens(String(payload.scope ?? '')));
  const principal: AdminPrincipal = { jti, clientId: record.clientId, userId: record.userId };
  if (!scopes.has(api.scope)) await deny(c, ctx, api, principal, `The access token lacks the ${api.scope} scope.`);
  await checkEntitlement(c, ctx, api, principal);
  return principal;
}

async function checkEntitlement(c: Context, ctx: ServerContext, api: ProtectedApi, principal: AdminPrincipal): Promise<void> {
  if (principal.userId !== null) {
    const user = await ctx.storage.users.get(principal.userId);
    if (!user || user.disabled) throw invalidToken(api, 'The user this token was issued to is disabled or no longer exists.');
    if (!user.isAdmin) await deny(c, ctx, api, principal, 'The user this token was issued to is not an administrator.');
    return;
  }
  const client = await ctx.storage.clients.get(principal.clientId);
  if (!client) throw invalidToken(api, 'The client this token was issued to no longer exists.');
  // An anonymous client (DCR, CIMD) names its own scope; even if the operator's
  // selfRegisteredClients list let a reserved scope through, its service token never acts on
  // Mandate's own APIs — only operator-registered clients do (as audit ingest, endpoints/audit-ingest.ts).
  if (isSelfRegistered(client)) await deny(c, ctx, api, principal, `Self-registered clients cannot use ${api.name}; only operator-registered clients can.`);
  if (!scopeTokens(client.scope).includes(api.scope)) await deny(c, ctx, api, principal, `The client this token was issued to is not registered with the ${api.scope} scope.`);
}

async function deny(c: Context, ctx: ServerContext, api: ProtectedApi, principal: AdminPrincipal, reason: string): Promise<never> {
  await ctx.audit.record({
    event: api.deniedEvent,
    userId: principal.userId,
    clientId: principal.clientId,
    ip: clientIp(c),
    result: 'failure',
    reason,
    data: { method: c.req.method, path: c.req.path, jti: principal.jti },
  });
  throw insufficientScope(api, reason);
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
