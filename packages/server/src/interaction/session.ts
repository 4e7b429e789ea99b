/**
 * Browser login sessions at the authorization server. The cookie holds 256 random bits; storage
 * keeps only their SHA-256, so a database leak yields no usable session.
 */
import { isSessionRecordLive } from '../grants/shared/live-tree.ts';
import type { Context } from 'hono';
import type { ServerContext } from '../context.ts';
import { randomToken, sha256 } from '../crypto/hash.ts';
import type { InteractionRecord, SessionRecord, UserRecord } from '../storage/records.ts';
import type { AuthorizationRequest } from '../endpoints/authorize/request.ts';
import { acrForAmr, acrSatisfies } from './acr.ts';
import { CookieName, readCookie, writeCookie } from './cookies.ts';

export interface ActiveSession {
  record: SessionRecord;
  user: UserRecord;
}

/** The session named by the cookie, when it exists, is live and its user may still sign in. */
export async function currentSession(c: Context, ctx: ServerContext): Promise<ActiveSession | null> {
  const token = readCookie(c, ctx, CookieName.session);
  if (token === undefined) return null;
  const record = await ctx.storage.sessions.get(sha256(token));
  if (!isSessionRecordLive(record, ctx.now())) return null;
  // HU-1: a password alone is no login. Sessions started on it before that was enforced count as none.
  if (record.amr.length > 0 && record.amr.every((m) => m === 'pwd')) return null;
  const user = await ctx.storage.users.get(record.userId);
  if (!user || user.disabled) return null;
  return { record, user };
}

/**
 * Starts a new session after a complete login; the previous one of this browser ends (no fixation).
 * The class follows from the methods, unless given (an upstream provider's mapped `acr`, SSO).
 */
export async function startSession(c: Context, ctx: ServerContext, user: UserRecord, amr: string[], acr: string = acrForAmr(amr)): Promise<SessionRecord> {
  const previous = readCookie(c, ctx, CookieName.session);
  const now = ctx.now();
  // Only the session row ends: the grants authorized under it live on (a re-login is no sign-out).
  // Ending a session with its grants (CO-1) is sessions.revokeWithGrants: logout, admin and self-service APIs.
  if (previous !== undefined) await ctx.storage.sessions.revoke(sha256(previous), now);
  const token = randomToken();
  const record: SessionRecord = {
    idHash: sha256(token),
    userId: user.id,
    authTime: now,
    acr,
    amr,
    createdAt: now,
    expiresAt: now + ctx.config.ttl.session,
    revokedAt: null,
  };
  await ctx.storage.sessions.create(record);
  writeCookie(c, ctx, CookieName.session, token, ctx.config.ttl.session);
  return record;
}

export type ReauthenticationReason = 'no_session' | 'prompt_login' | 'max_age' | 'acr_values';

/**
 * Why the user must (re-)authenticate for this request, or null when the session will do.
 * OIDC Core §3.1.2.1: prompt=login / select_account ask for a fresh login, max_age bounds the age
 * of the last authentication, acr_values asks for a class. A login done inside this very
 * interaction satisfies all three (otherwise max_age=0 could never be met).
 */
export function reauthenticationReason(
  ctx: ServerContext,
  session: ActiveSession | null,
  request: AuthorizationRequest,
  interaction: Pick<InteractionRecord, 'sessionIdHash'> | null,
): ReauthenticationReason | null {
  if (!session) return 'no_session';
  if (interaction?.sessionIdHash === session.record.idHash) return null;
  if (request.prompt.includes('login') || request.prompt.includes('select_account')) return 'prompt_login';
  if (request.maxAge !== null && ctx.now() - session.record.authTime > request.maxAge) return 'max_age';
  if (!acrSatisfies(session.record.acr, request.acrValues)) return 'acr_values';
  return null;
}
