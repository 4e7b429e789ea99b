/**
 * RFC 9449 §4.3 (9): `htu` must match the request URI "ignoring any query and fragment parts",
 * compared after the syntax- and scheme-based normalisation of RFC 3986 §6.2.2 and §6.2.3.
 */

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * Returns the normalised form of an http(s) URI, or null when the value is not one.
 * WHATWG URL parsing already lowercases scheme and host, drops the default port, resolves dot
 * segments and turns an empty path into "/"; RFC 3986 §6.2.2.1/§6.2.2.2 add uppercase
 * percent-encoding hex digits and decoded unreserved characters, done here for the path.
 */
export function normalizeHtu(value: string): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.username !== '' || url.password !== '') return null;
  const path = url.pathname.replace(/%([0-9a-fA-F]{2})/g, (_match, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
  return `${url.protocol}//${url.host}${path}`;
}

/** True when a proof's `htu` designates the endpoint URL the server expects. */
export function htuMatches(claimed: string, expected: string): boolean {
  const a = normalizeHtu(claimed);
  const b = normalizeHtu(expected);
  return a !== null && a === b;
}
