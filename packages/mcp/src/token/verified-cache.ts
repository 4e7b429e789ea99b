/**
 * Verified JWT access tokens, remembered briefly by their exact text. An MCP client sends the
 * same token on every request; re-checking the signature each time costs more than the rest of
 * the authorization together. Only the signature verdict is reused: `exp`/`nbf` are checked on
 * every use (verifyJwtAccessToken's time checks run again), revocation and DPoP are checked on
 * every request, and an entry is re-verified at least every `maxAgeSeconds` (so a key removed
 * from the JWKS stops being trusted within that window).
 */
import type { JWTPayload } from 'jose';

export class VerifiedTokenCache {
  private readonly entries = new Map<string, { payload: JWTPayload; until: number }>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly maxAgeSeconds = 60,
  ) {}

  get(token: string, now: number): JWTPayload | undefined {
    const hit = this.entries.get(token);
    if (!hit) return undefined;
    if (hit.until <= now) {
      this.entries.delete(token);
      return undefined;
    }
    return hit.payload;
  }

  set(token: string, payload: JWTPayload, now: number): void {
    if (this.maxEntries === 0) return;
    if (this.entries.size >= this.maxEntries) {
      // Map order is insertion order: drop the oldest entry.
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    const exp = typeof payload.exp === 'number' ? payload.exp : now;
    this.entries.set(token, { payload, until: Math.min(exp, now + this.maxAgeSeconds) });
  }
}
