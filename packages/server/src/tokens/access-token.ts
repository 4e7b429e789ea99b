/**
 * JWT access tokens per RFC 9068. Every token is also recorded by jti, so introspection
 * (RFC 7662) and revocation (RFC 7009) work on self-contained tokens.
 */
import type { JWTPayload } from 'jose';
import type { ServerContext } from '../context.ts';
import type { AccessTokenRecord } from '../storage/records.ts';
import { sortableJti } from '../crypto/sortable-ids.ts';

/** RFC 9068 §2.1: the media type of a JWT access token, in the `typ` header. */
export const ACCESS_TOKEN_TYP = 'at+jwt';

export interface AccessTokenInput {
  /** The user id, or the client id for client_credentials (RFC 9068 §2.2). */
  subject: string;
  clientId: string;
  userId: string | null;
  grantId: string | null;
  /** Space-delimited granted scope. */
  scope: string;
  /** The resource indicators (RFC 8707); empty = the default audience. */
  audience: string[];
  authTime?: number;
  acr?: string;
  amr?: string[];
  /** RFC 9449 §6.1: JWK SHA-256 thumbprint of the DPoP key the token is bound to. */
  cnfJkt?: string | null;
  authorizationDetails?: Record<string, unknown>[] | null;
  /** Seconds; defaults to config.ttl.accessToken. Must not exceed the keys' maxTokenTtl (server.ts). */
  ttl?: number;
  /** Profile-specific claims (e.g. `act` for token exchange). Never override the claims set here. */
  extraClaims?: Record<string, unknown>;
}

export interface IssuedAccessToken {
  token: string;
  jti: string;
  /** Seconds, for the token response `expires_in`. */
  expiresIn: number;
  expiresAt: number;
}

/**
 * The audience when the client named no resource (RFC 9068 §3 asks for a default resource
 * indicator): the issuer itself. Mandate's own protected endpoints (userinfo, the admin API)
 * accept tokens whose `aud` contains the issuer; a resource server never does, so a token
 * obtained without `resource` cannot be replayed at an MCP server (TOK-2).
 */
export function defaultAudience(ctx: Pick<ServerContext, 'config'>): string[] {
  return [ctx.config.issuer];
}

/**
 * Signs an access token without touching storage, so callers can sign before opening their
 * issuance transaction and store `record` inside it.
 */
export async function signAccessToken(ctx: ServerContext, input: AccessTokenInput): Promise<IssuedAccessToken & { record: AccessTokenRecord }> {
  const now = ctx.now();
  const expiresIn = input.ttl ?? ctx.config.ttl.accessToken;
  const expiresAt = now + expiresIn;
  const jti = sortableJti(); // crypto/sortable-ids.ts: appends to the access_tokens index
  const audience = input.audience.length > 0 ? input.audience : defaultAudience(ctx);
  const claims = accessTokenClaims(input, { iss: ctx.config.issuer, jti, iat: now, exp: expiresAt, audience });
  const token = await ctx.keys.sign(claims, { typ: ACCESS_TOKEN_TYP });
  const record: AccessTokenRecord = { jti, grantId: input.grantId, clientId: input.clientId, userId: input.userId, scope: input.scope, expiresAt, createdAt: now, revokedAt: null };
  return { token, jti, expiresIn, expiresAt, record };
}

/** Signs an access token and records its jti (introspection and revocation work by jti). */
export async function issueAccessToken(ctx: ServerContext, input: AccessTokenInput): Promise<IssuedAccessToken> {
  const { record, ...issued } = await signAccessToken(ctx, input);
  await ctx.storage.accessTokens.create(record);
  return issued;
}

/** RFC 9068 §2.2 claims; optional ones only when they carry a value. */
export function accessTokenClaims(
  input: AccessTokenInput,
  fixed: { iss: string; jti: string; iat: number; exp: number; audience: string[] },
): JWTPayload {
  const claims: JWTPayload = {
    iss: fixed.iss,
    sub: input.subject,
    // §2.2: one audience as a string, several as an array (RFC 7519 §4.1.3 allows both).
    aud: fixed.audience.length === 1 ? fixed.audience[0] : [...fixed.audience],
    client_id: input.clientId,
    jti: fixed.jti,
    iat: fixed.iat,
    exp: fixed.exp,
  };
  // Profile claims (act, agent_id, …): copied name by name, the reserved ones skipped (a spread of a
  // filtered copy cost more than the rest of this function on every exchange).
  const extra = input.extraClaims;
  if (extra) for (const name of Object.keys(extra)) if (!RESERVED_CLAIMS.has(name)) claims[name] = extra[name];
  // §2.2.3: scope, when there is one.
  if (input.scope !== '') claims.scope = input.scope;
  // §2.2.1: authentication information of the user, when a user authenticated.
  if (input.authTime !== undefined) claims.auth_time = input.authTime;
  if (input.acr !== undefined && input.acr !== '') claims.acr = input.acr;
  if (input.amr !== undefined && input.amr.length > 0) claims.amr = [...input.amr];
  // RFC 9449 §6.1: the confirmation claim binds the token to the DPoP key.
  if (input.cnfJkt) claims.cnf = { jkt: input.cnfJkt };
  // RFC 9396 §9.1: authorization details granted, copied into the token.
  if (input.authorizationDetails && input.authorizationDetails.length > 0) claims.authorization_details = input.authorizationDetails;
  return claims;
}

/** Claims only this module sets: extra claims can add to a token, never redefine it. */
const RESERVED_CLAIMS = new Set(['iss', 'sub', 'aud', 'client_id', 'jti', 'iat', 'exp', 'nbf', 'scope', 'auth_time', 'acr', 'amr', 'cnf', 'authorization_details']);

