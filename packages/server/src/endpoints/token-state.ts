/**
 * Is a presented token live? Shared by introspection (RFC 7662), revocation (RFC 7009) and
 * userinfo (OIDC Core §5.3). Access tokens are JWTs this server signed (RFC 9068) and recorded by
 * jti; refresh tokens are looked up by hash. A token is live only while its signature, expiry,
 * its own record and its grant all say so: revoking a grant ends every token derived from it.
 */
import type { JWTPayload } from 'jose';
import { isOAuthError } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import type { AccessTokenRecord, GrantRecord, RefreshTokenRecord } from '../storage/records.ts';
import { ACCESS_TOKEN_TYP } from '../tokens/access-token.ts';
import { findRefreshToken, refreshFamilyEnd, refreshTokenState } from '../tokens/refresh-token.ts';
import { refreshFamilyStart } from '../grants/refresh-token/family-lifetime.ts';

export interface VerifiedAccessToken {
  payload: JWTPayload & { jti: string };
  record: AccessTokenRecord;
}

/**
 * A JWT access token this server signed, still unexpired, whatever its stored state
 * (revocation needs it even when it is already revoked). Null when it is none of ours.
 */
export async function verifiedAccessToken(ctx: ServerContext, token: string): Promise<VerifiedAccessToken | null> {
  let payload: JWTPayload;
  try {
    ({ payload } = await ctx.keys.verify(token, { typ: ACCESS_TOKEN_TYP }));
  } catch (err) {
    if (isOAuthError(err)) return null; // invalid_token: malformed, foreign, expired
    throw err;
  }
  if (typeof payload.jti !== 'string') return null;
  const record = await ctx.storage.accessTokens.get(payload.jti);
  if (!record) return null;
  return { payload: { ...payload, jti: payload.jti }, record };
}

/** A live access token: verified, not revoked, its grant (if any) not revoked. */
export async function activeAccessToken(ctx: ServerContext, token: string): Promise<VerifiedAccessToken | null> {
  const verified = await verifiedAccessToken(ctx, token);
  if (!verified || verified.record.revokedAt !== null || verified.record.expiresAt <= ctx.now()) return null;
  if (verified.record.grantId !== null && !(await grantIsLive(ctx, verified.record.grantId))) return null;
  // Client credentials tokens rest on no grant: they live only while their client is registered.
  if (verified.record.grantId === null && !(await clientIsRegistered(ctx, verified.record.clientId))) return null;
  // Tokens for a user on no grant (ID-JAG, RFC 7523 assertions) live only while the user is enabled.
  if (verified.record.grantId === null && verified.record.userId !== null && !(await userIsEnabled(ctx, verified.record.userId))) return null;
  return verified;
}

async function userIsEnabled(ctx: ServerContext, userId: string): Promise<boolean> {
  const user = await ctx.storage.users.get(userId);
  return user !== null && !user.disabled;
}

async function clientIsRegistered(ctx: ServerContext, clientId: string): Promise<boolean> {
  try {
    return (await ctx.clients.get(clientId)) !== null;
  } catch (err) {
    if (isOAuthError(err)) return false; // a metadata document that can no longer be used
    throw err;
  }
}

/**
 * A live refresh token: known, not rotated, not revoked, unexpired, its grant not revoked, its
 * family not past its absolute end (RFC 9700 §4.14.2), as the token endpoint would take it. Rows
 * written before that end existed can expire later; their `expiresAt` is reported as the end.
 * Null too when it was issued to another client than `callerClientId` (RFC 7662 §4): checked
 * before its grant or the grant's ancestors are read, so nothing of another client's token is.
 */
export async function activeRefreshToken(ctx: ServerContext, token: string, callerClientId: string): Promise<RefreshTokenRecord | null> {
  const record = await findRefreshToken(ctx.storage, token);
  if (!record || record.clientId !== callerClientId) return null;
  if (refreshTokenState(record, ctx.now()) !== 'active') return null;
  const grant = await liveGrant(ctx, record.grantId);
  if (grant === null) return null;
  const started = await refreshFamilyStart(ctx, grant);
  if (started === null) return null; // an ancestor was revoked or is missing: the refresh would be refused
  const end = refreshFamilyEnd(ctx.config, started);
  if (end <= ctx.now()) return null;
  return record.expiresAt <= end ? record : { ...record, expiresAt: end };
}

async function grantIsLive(ctx: ServerContext, grantId: string): Promise<boolean> {
  return (await liveGrant(ctx, grantId)) !== null;
}

async function liveGrant(ctx: ServerContext, grantId: string): Promise<GrantRecord | null> {
  const grant = await ctx.storage.grants.get(grantId);
  if (grant === null || grant.revokedAt !== null) return null;
  // ID-2: a grant an agent acts in lives only while the agent is active. Suspension revokes the
  // grant too (agents/registry.ts); this check also holds if a grant was written in a race with it.
  if (grant.agentId !== null && (await ctx.storage.agents.get(grant.agentId))?.status !== 'active') return null;
  return grant;
}

/**
 * Which kind a presented token is. Mandate knows its own formats: access tokens are compact JWS
 * (three dot-separated parts), refresh tokens are opaque base64url without dots. So
 * `token_type_hint` (RFC 7662 §2.1, RFC 7009 §2.1) is never needed, and an unknown hint is
 * ignored rather than refused.
 */
export function presentedKind(token: string): 'access_token' | 'refresh_token' {
  return token.split('.').length === 3 ? 'access_token' : 'refresh_token';
}
