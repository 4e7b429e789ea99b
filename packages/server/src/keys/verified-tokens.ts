/**
 * Tokens this server verified recently, so the same token presented again (an orchestrator
 * exchanging one user token for hop after hop, RFC 8693) does not pay a second signature check.
 *
 * A hit returns exactly what jose would: the signature outcome of a given token under a given
 * key set never changes, and with no maxTokenAge jose's only time checks are `nbf` (once passed,
 * stays passed) and `exp` — so a hit requires the same published key set (the same local JWKS
 * instance; it is rebuilt whenever publication changes), the same options, a clock not earlier
 * than the first verification, and `exp` still in the future (RFC 7519 §4.1.4). Failures are
 * never remembered. Callers get copies: a caller editing its payload cannot alter the next one's.
 */
import type { JWTVerifyResult } from 'jose';

const MAX_ENTRIES = 1000;

interface Entry {
  keySet: unknown;
  verifiedAt: number;
  exp: number;
  /** What jose returned besides the claims (the key); the claims are kept as JSON text, parsed afresh for each caller. */
  rest: Omit<JWTVerifyResult, 'payload' | 'protectedHeader'>;
  payload: string;
  protectedHeader: string;
}

export class VerifiedTokens {
  readonly #entries = new Map<string, Entry>();

  get(token: string, options: { typ?: string; audience?: string | string[] }, keySet: unknown, now: number): JWTVerifyResult | null {
    const entry = this.#entries.get(cacheKey(token, options));
    if (entry === undefined || entry.keySet !== keySet || now < entry.verifiedAt || now >= entry.exp) return null;
    return { ...entry.rest, payload: JSON.parse(entry.payload) as JWTVerifyResult['payload'], protectedHeader: JSON.parse(entry.protectedHeader) as JWTVerifyResult['protectedHeader'] };
  }

  /** Remembers a successful verification; returns the caller's own copy. */
  remember(token: string, options: { typ?: string; audience?: string | string[] }, keySet: unknown, now: number, result: JWTVerifyResult): JWTVerifyResult {
    const exp = result.payload.exp;
    if (typeof exp !== 'number') return result;
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
    // JSON text, not a structured clone: both came out of JSON.parse (RFC 7519 §7.2), so the round
    // trip is exact, and serialising once costs less than cloning on every remember.
    const { payload, protectedHeader, ...rest } = result;
    this.#entries.set(cacheKey(token, options), { keySet, verifiedAt: now, exp, rest, payload: JSON.stringify(payload), protectedHeader: JSON.stringify(protectedHeader) });
    return result;
  }
}

function cacheKey(token: string, options: { typ?: string; audience?: string | string[] }): string {
  const audience = options.audience === undefined ? '' : JSON.stringify(options.audience);
  return `${options.typ ?? ''}\n${audience}\n${token}`;
}
