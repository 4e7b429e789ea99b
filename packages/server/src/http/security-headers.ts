import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MiddlewareHandler } from 'hono';

/**
 * Headers on every response: no framing (clickjacking of login and consent, AS-8), no sniffing,
 * no referrer (authorization URLs carry state and codes). Pages that need a fuller
 * Content-Security-Policy set their own, which wins.
 */
export const SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  ['X-Content-Type-Options', 'nosniff'],
  ['Referrer-Policy', 'no-referrer'],
  ['X-Frame-Options', 'DENY'],
  ['Content-Security-Policy', "frame-ancestors 'none'"],
];

/**
 * On the Node HTTP server, before Hono sees the request: Node merges these with the headers the
 * response is written with (those win), so every response carries them, including raw
 * `Response` objects, without Hono rebuilding a finished response.
 */
export function setSecurityHeaders(_req: IncomingMessage, res: ServerResponse): void {
  for (const [name, value] of SECURITY_HEADERS) res.setHeader(name, value);
}

/** For `app.fetch` used without the Node server: prepared before the handler, merged into responses built with `c.json` and friends. */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    for (const [name, value] of SECURITY_HEADERS) c.header(name, value);
    await next();
  };
}
