import type { Context } from 'hono';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The Node request and response behind `c`, when `app.fetch` was called by a Node server (not
 * in-process). Two shapes are accepted: the adapter's own env, or one nested under `server`.
 */
export function nodeBindings(c: Context): { incoming?: IncomingMessage; outgoing?: ServerResponse } | undefined {
  const env = c.env as { server?: { incoming?: IncomingMessage; outgoing?: ServerResponse }; incoming?: IncomingMessage; outgoing?: ServerResponse } | undefined;
  return env?.server ? env.server : env;
}
