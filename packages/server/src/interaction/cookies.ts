/**
 * The cookies of the login and consent pages (AS-8): `__Host-` prefixed, Secure, HttpOnly,
 * SameSite=Lax, Path=/, no Domain — bound to this exact origin, never readable by scripts, never
 * sent on cross-site subrequests or posts. Browsers treat http://localhost and loopback addresses
 * as secure contexts, so this holds in development too; `cookieSecure: false` is an explicit
 * opt-out for plain-http deployments, which then lose the prefix as the prefix requires Secure.
 */
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { ServerContext } from '../context.ts';

export const CookieName = {
  /** The browser's login session at the authorization server. */
  session: 'mandate_session',
  /** Binds the browser to the pending interactions it started (interaction/binding.ts). */
  interaction: 'mandate_interaction',
  /** Password verified, TOTP pending (interaction/pending-login.ts). */
  login: 'mandate_login',
  /** The pending WebAuthn challenge of a passkey ceremony (passkeys/challenge.ts). */
  webauthn: 'mandate_webauthn',
  /** A pending vault account link: PKCE verifier and state, bound to the session (account/vault-routes.ts). */
  vaultLink: 'mandate_vault_link',
} as const;
export type CookieName = (typeof CookieName)[keyof typeof CookieName];

function secure(ctx: ServerContext): boolean {
  return ctx.config.cookieSecure ?? true;
}

export function cookieName(ctx: ServerContext, name: CookieName): string {
  return secure(ctx) ? `__Host-${name}` : name;
}

export function readCookie(c: Context, ctx: ServerContext, name: CookieName): string | undefined {
  const value = getCookie(c, cookieName(ctx, name));
  return value === undefined || value === '' ? undefined : value;
}

export function writeCookie(c: Context, ctx: ServerContext, name: CookieName, value: string, maxAge: number): void {
  setCookie(c, cookieName(ctx, name), value, { secure: secure(ctx), httpOnly: true, sameSite: 'Lax', path: '/', maxAge });
}

export function clearCookie(c: Context, ctx: ServerContext, name: CookieName): void {
  writeCookie(c, ctx, name, '', 0);
}
