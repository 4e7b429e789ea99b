/**
 * Hono: routes for the metadata and the MCP endpoint on a Hono app (any runtime Hono runs on).
 * As in the Node adapter, the request URL is rebuilt on the resource's own origin: behind a TLS
 * proxy the runtime sees http: and a Host header of the client's choosing, while DPoP htu and the
 * routes must be checked against where we really are (adapters/origin.ts). The body stream is
 * handed on unread: the core reads it with its cap (core/jsonrpc.ts).
 */
import type { Hono } from 'hono';
import type { MandateMcp } from '../core/create.ts';
import { onResourceOrigin } from './origin.ts';

export interface HonoMcpOptions {
  clientIp?: (request: Request) => string | undefined;
}

/** The request as the core must see it: on the resource's origin, the body stream passed through. */
function toResourceRequest(mcp: Pick<MandateMcp, 'resource'>, request: Request): Request {
  const url = onResourceOrigin(mcp.resource, request.url);
  // duplex 'half': required by the Fetch standard for a stream body; the stream moves, no copy.
  const init = { method: request.method, headers: request.headers, body: request.body, duplex: 'half' } as RequestInit;
  return new Request(url, init);
}

export function honoMcp(app: Hono, mcp: MandateMcp, options: HonoMcpOptions = {}): Hono {
  const serve = async (request: Request): Promise<Response> => {
    const ip = options.clientIp?.(request);
    return mcp.fetch(toResourceRequest(mcp, request), ip ? { ip } : {});
  };
  app.all(mcp.metadataPath, (c) => serve(c.req.raw));
  app.all(mcp.mcpPath, (c) => serve(c.req.raw));
  return app;
}
