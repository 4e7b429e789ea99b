/**
 * Admin allowlist of Client ID Metadata Document URLs (CL-3, config `cimd.allowedUrlPatterns`).
 * An empty list allows any URL that passes the other checks.
 *
 * Pattern syntax: a URL written out in full, matched against the whole client_id. `*` is the only
 * special character and stands for one or more characters within ONE host label or ONE path
 * segment; it never crosses a `.` in the host nor a `/` in the path, and never matches into the
 * query. `*` never matches a `%` either, so it cannot match a percent-encoded character (such as
 * an encoded `/` or `.` that a document server might decode into another directory): write
 * percent-encoded characters literally in the pattern (`https://example.com/my%20tool/*`).
 * Everything else matches literally (case-insensitively in scheme and host only).
 *
 *   https://*.example.com/clients/*   matches https://app.example.com/clients/cli.json
 *                                      not https://example.com/clients/cli.json (no label for *)
 *                                      not https://a.b.example.com/clients/cli.json (two labels)
 *                                      not https://app.example.com/clients/x/cli.json (two segments)
 *   https://tools.example.org/client.json   matches exactly that URL
 *
 * A pattern without a path (`https://example.com`) matches nothing: CIMD URLs always have one.
 */

const SCHEME_AUTHORITY = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/i;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Compiles one pattern; returns null when the pattern is not an absolute URL pattern. */
export function compileUrlPattern(pattern: string): RegExp | null {
  const m = SCHEME_AUTHORITY.exec(pattern);
  if (!m) return null;
  const [, scheme, authority, rest] = m as unknown as [string, string, string, string];
  const host = authority
    .split('*')
    .map((part) => escapeRegExp(part.toLowerCase()))
    .join('[^./?#:@%]+');
  const [path, query] = splitOnce(rest, '?');
  const pathRe = path
    .split('*')
    .map(escapeRegExp)
    .join('[^/?#%]+');
  const queryRe = query === null ? '' : `\\?${escapeRegExp(query)}`;
  return new RegExp(`^${escapeRegExp(scheme.toLowerCase())}${host}${pathRe}${queryRe}$`);
}

function splitOnce(text: string, sep: string): [string, string | null] {
  const i = text.indexOf(sep);
  return i === -1 ? [text, null] : [text.slice(0, i), text.slice(i + 1)];
}

/** True when the list is empty or one pattern matches the whole client_id. */
export function isAllowedByPatterns(clientId: string, patterns: readonly string[]): boolean {
  if (patterns.length === 0) return true;
  const m = SCHEME_AUTHORITY.exec(clientId);
  if (!m) return false;
  // Scheme and host are case-insensitive (RFC 3986 §6.2.2.1); client_ids are canonical (lowercase) anyway.
  const normalized = `${m[1]!.toLowerCase()}${m[2]!.toLowerCase()}${m[3]!}`;
  return patterns.some((p) => compileUrlPattern(p)?.test(normalized) ?? false);
}
