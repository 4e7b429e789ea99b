/**
 * WebAuthn challenges (WebAuthn L3 §13.4.3: random, at least 16 bytes, used once). The
 * challenge travels to the browser in the ceremony options and comes back signed inside
 * clientDataJSON; the server's copy lives in a short-lived cookie encrypted and authenticated
 * with the secret key (like the pending login), bound to what it was issued for: a registration
 * to the login session, a sign-in to the interaction (and, for step-up, to the expected user).
 * Single use is enforced in storage: the first verification records it in the replay cache,
 * and any later presentation of the same challenge is refused.
 */
import type { Context } from 'hono';
import type { ServerContext } from '../context.ts';
import { randomToken } from '../crypto/hash.ts';
import { CookieName, clearCookie, readCookie, writeCookie } from '../interaction/cookies.ts';
import { CEREMONY_TIMEOUT_SECONDS } from './relying-party.ts';

const PURPOSE = 'webauthn-challenge';
const REPLAY_NAMESPACE = 'webauthn-challenge';

export type CeremonyBinding =
  /** Adding a passkey: bound to the session (SHA-256 of its cookie) of the signed-in user. */
  | { ceremony: 'registration'; sessionIdHash: string }
  /** Signing in: bound to the interaction; `userId` set for a step-up of a known user. */
  | { ceremony: 'authentication'; interactionId: string; userId: string | null };

interface StoredChallenge {
  challenge: string;
  binding: CeremonyBinding;
  issuedAt: number;
}

export async function issueChallenge(c: Context, ctx: ServerContext, binding: CeremonyBinding): Promise<string> {
  const stored: StoredChallenge = { challenge: randomToken(32), binding, issuedAt: ctx.now() };
  writeCookie(c, ctx, CookieName.webauthn, await ctx.envelope.encrypt(JSON.stringify(stored), PURPOSE), CEREMONY_TIMEOUT_SECONDS);
  return stored.challenge;
}

function sameBinding(a: CeremonyBinding, b: CeremonyBinding): boolean {
  if (a.ceremony === 'registration' && b.ceremony === 'registration') return a.sessionIdHash === b.sessionIdHash;
  if (a.ceremony === 'authentication' && b.ceremony === 'authentication') return a.interactionId === b.interactionId;
  return false;
}

export type TakenChallenge = { ok: true; challenge: string; binding: CeremonyBinding } | { ok: false; reason: 'missing' | 'expired' | 'replayed' };

/**
 * Takes the challenge issued for `expected` (the user id of an authentication binding is not
 * compared: it is returned for the caller to enforce). The cookie is cleared either way.
 */
export async function takeChallenge(c: Context, ctx: ServerContext, expected: CeremonyBinding): Promise<TakenChallenge> {
  const value = readCookie(c, ctx, CookieName.webauthn);
  clearCookie(c, ctx, CookieName.webauthn);
  if (value === undefined) return { ok: false, reason: 'missing' };
  let stored: StoredChallenge;
  try {
    stored = JSON.parse(await ctx.envelope.decrypt(value, PURPOSE)) as StoredChallenge;
  } catch {
    return { ok: false, reason: 'missing' }; // tampered, truncated or from another secret key
  }
  if (typeof stored.challenge !== 'string' || typeof stored.issuedAt !== 'number' || !stored.binding || !sameBinding(stored.binding, expected)) {
    return { ok: false, reason: 'missing' };
  }
  const now = ctx.now();
  const expiresAt = stored.issuedAt + CEREMONY_TIMEOUT_SECONDS;
  if (now > expiresAt) return { ok: false, reason: 'expired' };
  // §13.4.3: one verification per challenge, even when the same cookie is presented twice.
  if (!(await ctx.storage.replay.remember(REPLAY_NAMESPACE, stored.challenge, expiresAt + 1, now))) return { ok: false, reason: 'replayed' };
  return { ok: true, challenge: stored.challenge, binding: stored.binding };
}
