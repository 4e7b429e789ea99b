/**
 * How long a fetched Client ID Metadata Document is reused (AS-6: "honour HTTP caching";
 * CIMD draft §4.3 lets the server cache per the HTTP caching rules of RFC 9111).
 *
 * Decisions:
 * - `Cache-Control: no-store` → the document is used for this request only and never stored.
 * - `Cache-Control: private` → the same: we are a shared cache (one copy serves every request of
 *   every instance), and a shared cache must not store a private response (RFC 9111 §5.2.2.7).
 *   The qualified form (`private="field"`) would allow storing without those fields; it is
 *   treated like the plain one, which is the safe side.
 * - `s-maxage` (we act as a shared cache, RFC 9111 §5.2.2.10) then `max-age`, else `Expires`
 *   minus `Date`, else a heuristic default of one hour; less the `Age` the response already had
 *   when it reached us (RFC 9111 §4.2.3: a response is fresh while its age is below that lifetime).
 * - `no-cache` or a zero lifetime → stored (so the ETag can be used) but due for revalidation.
 * - Lifetimes are clamped to [CACHE_FLOOR_SECONDS, CACHE_CEILING_SECONDS]: the floor stops a
 *   document from making the server fetch it on every request (amplification), the ceiling makes
 *   a publisher's change (a removed redirect URI, a rotated key) reach us within a day. `no-cache`
 *   and zero lifetimes are NOT raised to the floor: the publisher asked for revalidation, and a
 *   revalidation with a matching ETag costs a 304.
 * - A 304 without Cache-Control or Expires keeps the stored response's freshness (RFC 9111
 *   §4.3.4: the stored header fields stay unless the 304 replaces them). The cache table keeps no
 *   headers, so the lifetime stored with the entry (expires_at − fetched_at, computed from the
 *   stored response's headers) is reused: a `no-cache` document stays at 0 instead of getting
 *   the heuristic hour. A 304 that has either field is decided from the 304's headers alone.
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

export interface CachingHeaders {
  'cache-control'?: HeaderValue;
  expires?: HeaderValue;
  date?: HeaderValue;
  age?: HeaderValue;
}

/** Age (RFC 9111 §5.1) as delta-seconds; an invalid or missing value counts as 0. */
function ageOf(headers: CachingHeaders): number {
  return seconds(header(headers.age)?.split(',')[0]?.trim()) ?? 0;
}

/** Freshness lifetime in seconds before the age is subtracted (RFC 9111 §4.2.1). */
function freshnessLifetime(cc: Map<string, string | true>, headers: CachingHeaders, nowSeconds: number): number {
  const explicit = seconds(cc.get('s-maxage')) ?? seconds(cc.get('max-age'));
  if (explicit !== undefined) return explicit;
  const expires = header(headers.expires);
  if (expires === undefined) return CACHE_DEFAULT_SECONDS;
  const expiresAt = Date.parse(expires);
  // RFC 9111 §5.3: an invalid Expires (e.g. "0") means already expired.
  if (Number.isNaN(expiresAt)) return 0;
  const dateHeader = header(headers.date);
  const date = dateHeader ? Date.parse(dateHeader) : NaN;
  const base = Number.isNaN(date) ? nowSeconds * 1000 : date;
  return Math.floor((expiresAt - base) / 1000);
}

export function cacheDecision(headers: CachingHeaders, nowSeconds: number): CacheDecision {
  const cc = parseCacheControl(header(headers['cache-control']));
  if (cc.has('no-store') || cc.has('private')) return { store: false, lifetime: 0 };
  if (cc.has('no-cache')) return { store: true, lifetime: 0 };
  // RFC 9111 §4.2.3: what is left of the freshness lifetime once the response's Age is spent.
  const remaining = freshnessLifetime(cc, headers, nowSeconds) - ageOf(headers);
  // An expired lifetime stays 0 (revalidate), it is not raised to the floor.
  if (remaining <= 0) return { store: true, lifetime: 0 };
  return { store: true, lifetime: clamp(remaining) };
}

/** The stored entry a 304 revalidated: its lifetime is what its own headers allowed. */
export interface RevalidatedEntry {
  fetchedAt: number;
  expiresAt: number;
}

/** RFC 9111 §4.3.4: a 304 without freshness fields keeps the stored response's. */
export function revalidationDecision(headers: CachingHeaders, stored: RevalidatedEntry, nowSeconds: number): CacheDecision {
  if (header(headers['cache-control']) === undefined && header(headers.expires) === undefined) {
    return { store: true, lifetime: Math.max(0, stored.expiresAt - stored.fetchedAt) };
  }
  return cacheDecision(headers, nowSeconds);
}
