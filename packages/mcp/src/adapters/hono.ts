/**
 * Hono: routes for the metadata and the MCP endpoint on a Hono app (any runtime Hono runs on).
 * The raw Request is handed on as is: the core checks it against the resource's own origin
 * (core/resource-url.ts; behind a TLS proxy the runtime sees http: and a Host header of the
 * client's choosing) and reads the body stream with its cap (core/jsonrpc.ts).
 */
import type { Hono } from 'hono';
import type { MandateMcp } from '../core/create.ts';

export interface HonoMcpOptions {
  clientIp?: (request: Request) => string | undefined;
}

export function honoMcp(app: Hono, mcp: MandateMcp, options: HonoMcpOptions = {}): Hono {
  const serve = async (request: Request): Promise<Response> => {
    const ip = options.clientIp?.(request);
    return mcp.fetch(request, ip ? { ip } : {});
  };
  app.all(mcp.metadataPath, (c) => serve(c.req.raw));
  app.all(mcp.mcpPath, (c) => serve(c.req.raw));
  return app;
}
