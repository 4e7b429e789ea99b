/**
 * The admin API is an OAuth protected resource of Mandate itself: callers present a Mandate access
 * token (RFC 9068 JWT, RFC 6750 Bearer) carrying the `mandate:admin` scope.
 *
 *   1-6. the checks of every API of Mandate's own (http/own-api-token.ts): header present, not
 *        the DPoP scheme, Bearer syntax, live, audience, not DPoP-bound       401 invalid_token
        (no Authorization header: 401 with a bare challenge, no error code, RFC 6750 §3.1)
 *        audience: the issuer, or the admin API base URL (request admin tokens with
 *        resource=<issuer> or resource=<issuer>/admin/v1; a token requested without a resource
 *        carries the issuer as its audience)
 *   7. scope contains mandate:admin                             403 insufficient_scope
 *   8. the principal is still entitled: a user token's user is an enabled admin; a service
 *      token's client still exists, was registered by the operator (not DCR/CIMD) and with
 *      the admin scope                                          401 / 403
 *
 * Other APIs of Mandate protected the same way (SCIM, scim/auth.ts) pass their own scope,
 * audiences and realm to authenticateBearer; the checks are these, in this order.
 */
import type { Context } from 'hono';
import type { ServerContext } from '../context.ts';
import { scopeTokens } from '../checks/scope.ts';
import { ADMIN_SCOPE, Paths } from '../endpoints/paths.ts';
import { clientIp } from '../http/client-ip.ts';
import { insufficientScope, invalidToken, ownApiAccessToken, type OwnApi } from '../http/own-api-token.ts';
import { isSelfRegistered } from '../clients/self-registered.ts';

export interface AdminPrincipal {
  jti: string;
  clientId: string;
  userId: string | null;
}

/** An API of Mandate for operators and identity providers, protected by its own access tokens. */
export interface ProtectedApi extends OwnApi {
  /** Audit event for a caller refused for lack of the scope or entitlement. */
  deniedEvent: string;
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
  const { payload, record } = await ownApiAccessToken(c, ctx, api);
  const scopes = new Set(scopeTokens(String(payload.scope ?? '')));
  const principal: AdminPrincipal = { jti: record.jti, clientId: record.clientId, userId: record.userId };
  if (!scopes.has(api.scope)) await deny(c, ctx, api, principal, `The access token lacks the ${api.scope} scope.`);
  await checkEntitlement(c, ctx, api, principal);
  return principal;
}

/**
 * Read here, not taken from the liveness check: activeAccessToken returns only the token and its
 * record (it reads the user or client for a yes/no, and only for tokens on no grant), while
 * entitlement needs the records themselves (isAdmin, the client's registration and scope).
 */
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
