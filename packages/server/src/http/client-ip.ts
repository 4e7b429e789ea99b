import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { nodeBindings } from './node-bindings.ts';

/** The peer address. Forwarded headers are not trusted: a proxy deployment configures that explicitly. */
export function clientIp(c: Context): string | null {
  // app.fetch called in-process (tests, bench) has no Node request, so there is no socket to ask:
  // answered up front, because getConnInfo would throw, and building an exception per request
  // costs more than the rest of this lookup.
  if (!nodeBindings(c)?.incoming) return null;
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null; // a request object without a socket
  }
}
