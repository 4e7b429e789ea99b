/**
 * Hono: routes for the metadata and the MCP endpoint on a Hono app (any runtime Hono runs on).
 */
import type { Hono } from 'hono';
import type { MandateMcp } from '../core/create.ts';

export function honoMcp(app: Hono, mcp: MandateMcp, options: { clientIp?: (request: Request) => string | undefined } = {}): Hono {
  app.all(mcp.metadataPath, (c) => mcp.fetch(c.req.raw));
  app.all(mcp.mcpPath, (c) => {
    const ip = options.clientIp?.(c.req.raw);
    return mcp.fetch(c.req.raw, ip ? { ip } : {});
  });
  return app;
}
