/**
 * How long a fetched Client ID Metadata Document is reused (AS-6: "honour HTTP caching";
 * CIMD draft §4.3 lets the server cache per the HTTP caching rules of RFC 9111).
 *
 * Decisions:
 * - `Cache-Control: no-store` → the document is used for this request only and never stored.
 * - `s-maxage` (we act as a shared cache, RFC 9111 §5.2.2.10) then `max-age`, else `Expires`
 *   minus `Date`, else a heuristic default of one hour.
 * - `no-cache` or a zero lifetime → stored (so the ETag can be used) but due for revalidation.
 * - Lifetimes are clamped to [CACHE_FLOOR_SECONDS, CACHE_CEILING_SECONDS]: the floor stops a
 *   document from making the server fetch it on every request (amplification), the ceiling makes
 *   a publisher's change (a removed redirect URI, a rotated key) reach us within a day. `no-cache`
 *   and zero lifetimes are NOT raised to the floor: the publisher asked for revalidation, and a
 *   revalidation with a matching ETag costs a 304.
 * - When an expired entry cannot be refreshed (network error, 5xx, invalid document) the client
 *   is refused rather than served stale: a document may have been withdrawn on purpose.
 */

export const CACHE_FLOOR_SECONDS = 60;
export const CACHE_CEILING_SECONDS = 24 * 3600;
export const CACHE_DEFAULT_SECONDS = 3600;

export interface CacheDecision {
  /** false for no-store: use once, keep nothing. */
  store: boolean;
  /** Seconds the entry is fresh; 0 = revalidate on next use. */
  lifetime: number;
}

type HeaderValue = string | string[] | undefined;

function header(value: HeaderValue): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Parses Cache-Control directives into a map (RFC 9111 §5.2); names lowercased. */
export function parseCacheControl(value: string | undefined): Map<string, string | true> {
  const directives = new Map<string, string | true>();
  if (!value) return directives;
  for (const part of value.split(',')) {
    const [rawName, ...rawValue] = part.split('=');
    const name = rawName?.trim().toLowerCase();
    if (!name) continue;
    const v = rawValue.join('=').trim().replace(/^"|"$/g, '');
    directives.set(name, rawValue.length > 0 ? v : true);
  }
  return directives;
}

function seconds(value: string | true | undefined): number | undefined {
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

function clamp(lifetime: number): number {
  if (lifetime <= 0) return 0;
  return Math.min(CACHE_CEILING_SECONDS, Math.max(CACHE_FLOOR_SECONDS, lifetime));
}

export function cacheDecision(headers: { 'cache-control'?: HeaderValue; expires?: HeaderValue; date?: HeaderValue }, nowSeconds: number): CacheDecision {
  const cc = parseCacheControl(header(headers['cache-control']));
  if (cc.has('no-store')) return { store: false, lifetime: 0 };
  if (cc.has('no-cache')) return { store: true, lifetime: 0 };
  const explicit = seconds(cc.get('s-maxage')) ?? seconds(cc.get('max-age'));
  if (explicit !== undefined) return { store: true, lifetime: clamp(explicit) };
  const expires = header(headers.expires);
  if (expires !== undefined) {
    const expiresAt = Date.parse(expires);
    // RFC 9111 §5.3: an invalid Expires (e.g. "0") means already expired.
    if (Number.isNaN(expiresAt)) return { store: true, lifetime: 0 };
    const dateHeader = header(headers.date);
    const date = dateHeader ? Date.parse(dateHeader) : NaN;
    const base = Number.isNaN(date) ? nowSeconds * 1000 : date;
    return { store: true, lifetime: clamp(Math.floor((expiresAt - base) / 1000)) };
  }
  return { store: true, lifetime: CACHE_DEFAULT_SECONDS };
}
