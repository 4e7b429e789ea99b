import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { nodeBindings } from './node-bindings.ts';

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

/** The same headers as one object, for responses built without Hono's context (see `securityHeadersSent`). */
export const SECURITY_HEADER_RECORD: Readonly<Record<string, string>> = Object.freeze(Object.fromEntries(SECURITY_HEADERS));

/**
 * For `app.fetch` used without the Node server: prepared before the handler, merged into
 * responses built with `c.json` and friends. Behind the Node server `setSecurityHeaders` has
 * already put them on the response, so nothing is prepared: preparing builds a `Headers` per
 * request that the adapter then has to copy back out.
 */
export function securityHeaders(): MiddlewareHandler {
  return (c, next) => {
    if (!securityHeadersSent(c)) for (const [name, value] of SECURITY_HEADERS) c.header(name, value);
    return next();
  };
}

/**
 * True when the Node response already carries SECURITY_HEADERS: `setSecurityHeaders` ran (our
 * own server, server.ts). An app mounted on someone else's Node server, or called in-process,
 * gets false and adds them itself.
 */
export function securityHeadersSent(c: Context): boolean {
  const outgoing = nodeBindings(c)?.outgoing;
  return typeof outgoing?.hasHeader === 'function' && outgoing.hasHeader('X-Content-Type-Options');
}
