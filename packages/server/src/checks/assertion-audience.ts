/**
 * The audience of a JWT addressed to this authorization server (a client assertion, RFC 7523 §3;
 * an agent's actor assertion at token exchange): ONE value that names us.
 *
 * Audience injection (draft-ietf-oauth-rfc7523bis): a client that uses one key with several
 * authorization servers signs whatever audience a server's metadata tells it to. A malicious server
 * that advertises one of our URLs as its own endpoint receives an assertion naming us, and replays
 * it here; an `aud` array naming that server *and* us is the same assertion made for two parties.
 * So the audience is a single string (a one-element array says the same thing), and only the
 * values that identify this server as a whole are accepted: the issuer identifier, the token
 * endpoint URL (RFC 7523 §3, OIDC Core §9) and, at the PAR endpoint only, its own URL (RFC 9126 §2:
 * "MUST accept its issuer identifier, token endpoint URL, or pushed authorization request endpoint
 * URL"). jose's `audience` option accepts an array merely containing one of them: callers check
 * this after jose has verified the signature.
 */

/** The one audience of `aud` (a string, or an array of exactly one string); null for anything else. */
export function soleAudience(aud: unknown): string | null {
  if (typeof aud === 'string') return aud;
  if (Array.isArray(aud) && aud.length === 1 && typeof aud[0] === 'string') return aud[0];
  return null;
}

/** Whether `aud` is exactly one of `accepted`, as one value. */
export function hasSoleAudience(aud: unknown, accepted: readonly string[]): boolean {
  const one = soleAudience(aud);
  return one !== null && accepted.includes(one);
}
