/**
 * The state between the two login steps: "this browser proved the password of user U for
 * interaction I at time T". It lives in a short-lived cookie, encrypted and authenticated with the
 * secret key (crypto/envelope.ts, AES-GCM), so it cannot be forged, read, or moved to another
 * interaction; no half-authenticated session ever exists in storage.
 */
import type { Context } from 'hono';
import type { ServerContext } from '../context.ts';
import { CookieName, clearCookie, readCookie, writeCookie } from './cookies.ts';

/** Time allowed to type the TOTP code (or set TOTP up, totp-enrollment.ts) after the password. */
export const PENDING_LOGIN_TTL = 300;
const PURPOSE = 'pending-login';

export interface PendingLogin {
  userId: string;
  at: number;
}

export async function setPendingLogin(c: Context, ctx: ServerContext, interactionId: string, userId: string): Promise<void> {
  const value = await ctx.envelope.encrypt(JSON.stringify({ i: interactionId, u: userId, t: ctx.now() }), PURPOSE);
  writeCookie(c, ctx, CookieName.login, value, PENDING_LOGIN_TTL);
}

export async function readPendingLogin(c: Context, ctx: ServerContext, interactionId: string): Promise<PendingLogin | null> {
  const value = readCookie(c, ctx, CookieName.login);
  if (value === undefined) return null;
  let payload: unknown;
  try {
    payload = JSON.parse(await ctx.envelope.decrypt(value, PURPOSE));
  } catch {
    return null; // tampered, truncated or from another secret key
  }
  const p = payload as { i?: unknown; u?: unknown; t?: unknown };
  if (p.i !== interactionId || typeof p.u !== 'string' || typeof p.t !== 'number') return null;
  if (ctx.now() - p.t > PENDING_LOGIN_TTL) return null;
  return { userId: p.u, at: p.t };
}

export function clearPendingLogin(c: Context, ctx: ServerContext): void {
  clearCookie(c, ctx, CookieName.login);
}
