/**
 * Users manage their own resources at Mandate with a Mandate access token (RFC 6750 Bearer) issued
 * to them — the same checks as the admin API (admin/auth.ts), for a different scope and principal.
 * Each user-facing API names its own scope (RFC 6749 §3.3: a token unlocks only what it was granted
 * for): `mandate:agents` for the agent API (owners, agents/routes.ts), `mandate:account` for the
 * self-service API (account/self-service.ts).
 *
 *   1. Bearer token present and well-formed                        401 (no error code when absent)
 *   2. signature, iss, exp, typ at+jwt; issued, not revoked, its
 *      grant live (endpoints/token-state.ts)                       401 invalid_token
 *   3. audience: the issuer, or the API's base URL (RFC 8707)      401 invalid_token
 *   4. not DPoP-bound (no proof is verified here, RFC 9449 §7.1)   401 invalid_token
 *   5. scope contains the API's scope                              403 insufficient_scope
 *   6. issued to a user (a client acting for itself owns nothing)  403 insufficient_scope
 *   7. that user exists and is enabled                             401 invalid_token
 */
import type { Context } from 'hono';
import { InsufficientScopeError, InvalidTokenError } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import { scopeTokens } from '../checks/scope.ts';
import { ACCOUNT_SCOPE, AGENTS_SCOPE, Paths } from '../endpoints/paths.ts';
import { activeAccessToken } from '../endpoints/token-state.ts';
import type { UserRecord } from '../storage/records.ts';

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

export interface AgentOwner {
  user: UserRecord;
  jti: string;
  clientId: string;
}

/** A user-facing API: the scope its tokens must carry, its realm and the audiences it accepts. */
export interface UserApi {
  scope: string;
  realm: string;
  /** Path under the issuer: a token for `{issuer}{path}` (or the issuer itself) is accepted. */
  path: string;
  /** Why a client's own token (no user) is refused, in the API's words. */
  noUser: string;
}

const AGENTS_API: UserApi = { scope: AGENTS_SCOPE, realm: 'mandate-agents', path: Paths.agents, noUser: 'agents belong to users' };
const ACCOUNT_API: UserApi = { scope: ACCOUNT_SCOPE, realm: 'mandate-account', path: Paths.accountApi, noUser: 'sessions and consents belong to users' };

function invalidToken(api: UserApi, description: string, withError = true): InvalidTokenError {
  const realm = `realm="${api.realm}"`;
  const header = withError ? `Bearer ${realm}, error="invalid_token", error_description="${description}"` : `Bearer ${realm}`;
  return new InvalidTokenError(description, { headers: { 'www-authenticate': header } });
}

function insufficientScope(api: UserApi, description: string): InsufficientScopeError {
  return new InsufficientScopeError(description, {
    headers: { 'www-authenticate': `Bearer realm="${api.realm}", error="insufficient_scope", scope="${api.scope}", error_description="${description}"` },
  });
}

/** The owner agent API (scope mandate:agents). */
export function authenticateOwner(c: Context, ctx: ServerContext): Promise<AgentOwner> {
  return authenticateUser(c, ctx, AGENTS_API);
}

/** The self-service account API (scope mandate:account). */
export function authenticateAccountUser(c: Context, ctx: ServerContext): Promise<AgentOwner> {
  return authenticateUser(c, ctx, ACCOUNT_API);
}

export async function authenticateUser(c: Context, ctx: ServerContext, api: UserApi): Promise<AgentOwner> {
  const authorization = c.req.header('authorization');
  if (!authorization) throw invalidToken(api, `An access token with the ${api.scope} scope is required.`, false);
  const match = BEARER.exec(authorization);
  if (!match) throw invalidToken(api, 'The Authorization header must carry a Bearer access token.');
  const token = await activeAccessToken(ctx, match[1]!);
  if (!token) throw invalidToken(api, 'The access token is invalid, expired or revoked.');
  const { payload, record } = token;
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  const accepted = [ctx.config.issuer, `${ctx.config.issuer}${api.path}`];
  if (!audiences.some((a) => typeof a === 'string' && accepted.includes(a))) throw invalidToken(api, 'The access token was not issued for this API (audience).');
  if (payload.cnf !== undefined) throw invalidToken(api, 'DPoP-bound tokens are not accepted here; request a Bearer token.');
  if (!scopeTokens(String(payload.scope ?? '')).includes(api.scope)) throw insufficientScope(api, `The access token lacks the ${api.scope} scope.`);
  if (record.userId === null) throw insufficientScope(api, `The access token was issued to a client acting for itself; ${api.noUser}.`);
  const user = await ctx.storage.users.get(record.userId);
  if (!user || user.disabled) throw invalidToken(api, 'The user this token was issued to is disabled or no longer exists.');
  return { user, jti: record.jti, clientId: record.clientId };
}
