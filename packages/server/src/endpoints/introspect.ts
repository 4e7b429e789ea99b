/**
 * Token introspection (RFC 7662). The caller authenticates as a client (§2.1; public clients are
 * refused by authenticateClient). Who may learn what (§4):
 *   - access tokens: any operator-registered (static or admin) confidential client — resource
 *     servers (MCP servers) are registered so and must check tokens issued to other clients for
 *     them. A self-registered client (DCR, CIMD) is anonymous, not an authorized resource server:
 *     it learns only about its own tokens (§4: "the authorization server MUST determine whether or
 *     not the token can be introspected by the protected resource");
 *   - refresh tokens: only the client they were issued to (a resource server never needs them).
 * Anything else, and any token not live, is `{ "active": false }` with nothing more (§2.2).
 */
import type { Context, Hono } from 'hono';
import type { ServerContext } from '../context.ts';
import type { ClientRecord, RefreshTokenRecord } from '../storage/records.ts';
import { readForm } from '../http/params.ts';
import { authenticateClient } from '../clients/authenticate.ts';
import { activeAccessToken, activeRefreshToken, presentedKind, type VerifiedAccessToken } from './token-state.ts';
import { Paths } from './paths.ts';
import { isSelfRegistered } from '../clients/self-registered.ts';

type IntrospectionResponse = { active: false } | ({ active: true } & Record<string, unknown>);

export function registerIntrospectionRoutes(app: Hono, ctx: ServerContext): void {
  app.post(Paths.introspection, async (c) => {
    const params = await readForm(c);
    const client = await authenticateClient(ctx, c, params, { endpoint: 'introspection' }); // RFC 7662 §2.1
    const token = params.require('token');
    return introspectionResponse(c, await introspect(ctx, client, token));
  });
}

async function introspect(ctx: ServerContext, caller: ClientRecord, token: string): Promise<IntrospectionResponse> {
  if (presentedKind(token) === 'access_token') {
    const access = await activeAccessToken(ctx, token);
    return access && mayDescribeAccessToken(caller, access) ? describeAccessToken(access) : { active: false };
  }
  // §4: a refresh token is described only to its own client; to anyone else it does not exist.
  const refresh = await activeRefreshToken(ctx, token, caller.clientId);
  return refresh ? describeRefreshToken(ctx, refresh) : { active: false };
}

/** §4: self-registered callers see only tokens issued to themselves; to them any other token does not exist. */
function mayDescribeAccessToken(caller: ClientRecord, access: VerifiedAccessToken): boolean {
  if (!isSelfRegistered(caller)) return true;
  return access.record.clientId === caller.clientId;
}

/**
 * RFC 7662 §2.2 members (and RFC 9068 / RFC 9449 / RFC 9396 / RFC 8693 claims) of a live access token,
 * plus Mandate's agent claims (agents/identity.ts agentClaims) and `grant_id`: §2.2 lets the answer
 * carry any claim of the token, and a resource server in introspection mode must learn who the caller
 * is exactly as one verifying the JWT does — without `agent_id` a workload agent token (sub = the
 * agent) would read as a user and a client_credentials agent token as a bare client. Nothing here is
 * new to the caller: these are the claims of the token it was presented (and a self-registered caller
 * only sees its own tokens, mayDescribeAccessToken).
 */
const ACCESS_TOKEN_MEMBERS = ['scope', 'client_id', 'sub', 'aud', 'iss', 'exp', 'iat', 'nbf', 'jti', 'cnf', 'auth_time', 'acr', 'amr', 'authorization_details', 'act', 'may_act', 'on_behalf_of', 'agent_id', 'agent_attestation', 'grant_id'] as const;

function describeAccessToken({ payload }: VerifiedAccessToken): IntrospectionResponse {
  const out: IntrospectionResponse = { active: true };
  for (const name of ACCESS_TOKEN_MEMBERS) if (payload[name] !== undefined) out[name] = payload[name];
  // §2.2 token_type (RFC 6749 §7.1): a token bound with cnf.jkt is used with the DPoP scheme (RFC 9449 §6.2).
  out.token_type = isDpopBound(payload.cnf) ? 'DPoP' : 'Bearer';
  return out;
}

function describeRefreshToken(ctx: ServerContext, record: RefreshTokenRecord): IntrospectionResponse {
  const out: IntrospectionResponse = {
    active: true,
    client_id: record.clientId,
    iss: ctx.config.issuer,
    exp: record.expiresAt,
    iat: record.createdAt,
  };
  if (record.scope !== '') out.scope = record.scope;
  if (record.userId !== null) out.sub = record.userId;
  if (record.authTime !== null) out.auth_time = record.authTime;
  if (record.acr !== null && record.acr !== '') out.acr = record.acr;
  if (record.authorizationDetails) out.authorization_details = record.authorizationDetails;
  if (record.dpopJkt !== null) out.cnf = { jkt: record.dpopJkt };
  return out;
}

function isDpopBound(cnf: unknown): boolean {
  return typeof cnf === 'object' && cnf !== null && typeof (cnf as { jkt?: unknown }).jkt === 'string';
}

function introspectionResponse(c: Context, body: IntrospectionResponse): Response {
  // The answer describes a credential: never cached (RFC 7662 §4).
  c.header('Cache-Control', 'no-store');
  c.header('Pragma', 'no-cache');
  return c.json(body, 200);
}
