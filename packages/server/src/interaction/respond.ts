/**
 * How interaction pages and their redirects are answered. Every page: no caching (it carries CSRF
 * tokens and personal data), no framing (AS-8: frame-ancestors 'none'), no scripts, only our own
 * stylesheet by hash, and forms that may only post to ourselves — or be redirected (303) onward to
 * the client's redirect URI, which browsers check against form-action too.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { STYLE_HASH_SOURCE } from './pages/layout.ts';

/** A CSP source expression for a redirect URI; null when none can be written safely. */
export function cspSource(uri: string): string | null {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return null;
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    // The URL parser lets ';', ',' and quotes through in hosts: they would end the directive.
    if (!/^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/.test(url.host)) return null;
    return `${url.protocol}//${url.host}`;
  }
  // RFC 8252 §7.1 private-use URI scheme: a scheme-source.
  return /^[a-z][a-z0-9+.-]*:$/.test(url.protocol) ? url.protocol : null;
}

export function contentSecurityPolicy(formTargets: string[], scriptSources: string[] = []): string {
  const sources = formTargets.map(cspSource).filter((s): s is string => s !== null);
  return [
    "default-src 'none'",
    `style-src ${STYLE_HASH_SOURCE}`,
    ...(scriptSources.length > 0 ? [`script-src ${scriptSources.join(' ')}`] : []),
    `form-action 'self'${sources.map((s) => ` ${s}`).join('')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function noStore(c: Context): void {
  c.header('Cache-Control', 'no-store');
  c.header('Pragma', 'no-cache');
}

export function sendPage(
  c: Context,
  page: string,
  options: { status?: ContentfulStatusCode; formTargets?: string[]; scriptSources?: string[]; headers?: Record<string, string> } = {},
): Response {
  noStore(c);
  c.header('Content-Security-Policy', contentSecurityPolicy(options.formTargets ?? [], options.scriptSources ?? []));
  for (const [name, value] of Object.entries(options.headers ?? {})) c.header(name, value);
  return c.html(page, options.status ?? 200);
}

/** RFC 9110 §15.4.4: 303 See Other, so a reload never re-posts a form. */
export function seeOther(c: Context, location: string): Response {
  noStore(c);
  return c.redirect(location, 303);
}
