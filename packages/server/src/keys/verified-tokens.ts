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
  result: JWTVerifyResult;
}

export class VerifiedTokens {
  readonly #entries = new Map<string, Entry>();

  get(token: string, options: { typ?: string; audience?: string | string[] }, keySet: unknown, now: number): JWTVerifyResult | null {
    const entry = this.#entries.get(cacheKey(token, options));
    if (entry === undefined || entry.keySet !== keySet || now < entry.verifiedAt || now >= entry.exp) return null;
    return copy(entry.result);
  }

  /** Remembers a successful verification; returns the caller's own copy. */
  remember(token: string, options: { typ?: string; audience?: string | string[] }, keySet: unknown, now: number, result: JWTVerifyResult): JWTVerifyResult {
    const exp = result.payload.exp;
    if (typeof exp !== 'number') return result;
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(cacheKey(token, options), { keySet, verifiedAt: now, exp, result: copy(result) });
    return result;
  }
}

function cacheKey(token: string, options: { typ?: string; audience?: string | string[] }): string {
  const audience = options.audience === undefined ? '' : JSON.stringify(options.audience);
  return `${options.typ ?? ''}\n${audience}\n${token}`;
}

function copy(result: JWTVerifyResult): JWTVerifyResult {
  return { ...result, payload: structuredClone(result.payload), protectedHeader: structuredClone(result.protectedHeader) };
}
