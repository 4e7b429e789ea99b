/**
 * Owners manage their own agents with a Mandate access token (RFC 6750 Bearer) issued to them,
 * carrying the `mandate:agents` scope — the same checks as the admin API (admin/auth.ts), for a
 * different scope and principal:
 *
 *   1. Bearer token present and well-formed                        401 (no error code when absent)
 *   2. signature, iss, exp, typ at+jwt; issued, not revoked, its
 *      grant live (endpoints/token-state.ts)                       401 invalid_token
 *   3. audience: the issuer, or the agents base URL                401 invalid_token
 *   4. not DPoP-bound (no proof is verified here, RFC 9449 §7.1)   401 invalid_token
 *   5. scope contains mandate:agents                               403 insufficient_scope
 *   6. issued to a user (a client acting for itself owns nothing)  403 insufficient_scope
 *   7. that user exists and is enabled                             401 invalid_token
 */
import type { Context } from 'hono';
import { InsufficientScopeError, InvalidTokenError } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import { scopeTokens } from '../checks/scope.ts';
import { AGENTS_SCOPE, Paths } from '../endpoints/paths.ts';
import { activeAccessToken } from '../endpoints/token-state.ts';
import type { UserRecord } from '../storage/records.ts';

const REALM = 'realm="mandate-agents"';
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

export interface AgentOwner {
  user: UserRecord;
  jti: string;
  clientId: string;
}

function invalidToken(description: string, withError = true): InvalidTokenError {
  const header = withError ? `Bearer ${REALM}, error="invalid_token", error_description="${description}"` : `Bearer ${REALM}`;
  return new InvalidTokenError(description, { headers: { 'www-authenticate': header } });
}

function insufficientScope(description: string): InsufficientScopeError {
  return new InsufficientScopeError(description, {
    headers: { 'www-authenticate': `Bearer ${REALM}, error="insufficient_scope", scope="${AGENTS_SCOPE}", error_description="${description}"` },
  });
}

export async function authenticateOwner(c: Context, ctx: ServerContext): Promise<AgentOwner> {
  const authorization = c.req.header('authorization');
  if (!authorization) throw invalidToken(`An access token with the ${AGENTS_SCOPE} scope is required.`, false);
  const match = BEARER.exec(authorization);
  if (!match) throw invalidToken('The Authorization header must carry a Bearer access token.');
  const token = await activeAccessToken(ctx, match[1]!);
  if (!token) throw invalidToken('The access token is invalid, expired or revoked.');
  const { payload, record } = token;
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  const accepted = [ctx.config.issuer, `${ctx.config.issuer}${Paths.agents}`];
  if (!audiences.some((a) => typeof a === 'string' && accepted.includes(a))) throw invalidToken('The access token was not issued for this API (audience).');
  if (payload.cnf !== undefined) throw invalidToken('DPoP-bound tokens are not accepted here; request a Bearer token.');
  if (!scopeTokens(String(payload.scope ?? '')).includes(AGENTS_SCOPE)) throw insufficientScope(`The access token lacks the ${AGENTS_SCOPE} scope.`);
  if (record.userId === null) throw insufficientScope('The access token was issued to a client acting for itself; agents belong to users.');
  const user = await ctx.storage.users.get(record.userId);
  if (!user || user.disabled) throw invalidToken('The user this token was issued to is disabled or no longer exists.');
  return { user, jti: record.jti, clientId: record.clientId };
}
