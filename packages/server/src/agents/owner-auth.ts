/**
 * Users manage their own resources at Mandate with a Mandate access token (RFC 6750 Bearer) issued
 * to them. Each user-facing API names its own scope (RFC 6749 §3.3: a token unlocks only what it
 * was granted for): `mandate:agents` for the agent API (owners, agents/routes.ts), `mandate:account`
 * for the self-service API (account/self-service.ts).
 *
 *   1-6. the checks of every API of Mandate's own (http/own-api-token.ts): header present, not
 *        the DPoP scheme, Bearer syntax, live, audience (the issuer or the API's base URL,
 *        RFC 8707), not DPoP-bound                                    401 invalid_token
        (no Authorization header: 401 with a bare challenge, no error code, RFC 6750 §3.1)
 *   7. scope contains the API's scope                              403 insufficient_scope
 *   8. issued to a user (a client acting for itself owns nothing)  403 insufficient_scope
 *   9. that user exists and is enabled                             401 invalid_token
 */
import type { Context } from 'hono';
import type { ServerContext } from '../context.ts';
import { scopeTokens } from '../checks/scope.ts';
import { ACCOUNT_SCOPE, AGENTS_SCOPE, Paths } from '../endpoints/paths.ts';
import { insufficientScope, invalidToken, ownApiAccessToken, type OwnApi } from '../http/own-api-token.ts';
import type { UserRecord } from '../storage/records.ts';

export interface AgentOwner {
  user: UserRecord;
  jti: string;
  clientId: string;
}

/** A user-facing API: Mandate's own, and why a client's own token (no user) is refused there. */
export interface UserApi extends OwnApi {
  noUser: string;
}

function agentsApi(issuer: string): UserApi {
  return { name: 'the agents API', scope: AGENTS_SCOPE, realm: 'mandate-agents', audiences: [issuer, `${issuer}${Paths.agents}`], noUser: 'agents belong to users' };
}

function accountApi(issuer: string): UserApi {
  return { name: 'the account API', scope: ACCOUNT_SCOPE, realm: 'mandate-account', audiences: [issuer, `${issuer}${Paths.accountApi}`], noUser: 'sessions and consents belong to users' };
}

/** The owner agent API (scope mandate:agents). */
export function authenticateOwner(c: Context, ctx: ServerContext): Promise<AgentOwner> {
  return authenticateUser(c, ctx, agentsApi(ctx.config.issuer));
}

/** The self-service account API (scope mandate:account). */
export function authenticateAccountUser(c: Context, ctx: ServerContext): Promise<AgentOwner> {
  return authenticateUser(c, ctx, accountApi(ctx.config.issuer));
}

export async function authenticateUser(c: Context, ctx: ServerContext, api: UserApi): Promise<AgentOwner> {
  const { payload, record } = await ownApiAccessToken(c, ctx, api);
  if (!scopeTokens(String(payload.scope ?? '')).includes(api.scope)) throw insufficientScope(api, `The access token lacks the ${api.scope} scope.`);
  if (record.userId === null) throw insufficientScope(api, `The access token was issued to a client acting for itself; ${api.noUser}.`);
  const user = await ctx.storage.users.get(record.userId);
  if (!user || user.disabled) throw invalidToken(api, 'The user this token was issued to is disabled or no longer exists.');
  return { user, jti: record.jti, clientId: record.clientId };
}
