/**
 * Express: a router serving the metadata and the MCP endpoint. Mount it before any body parser
 * for these paths (it reads the raw body itself), or let it reuse `req.body` when one ran.
 */
import express, { type Request as ExpressRequest, type Response as ExpressResponse, type Router } from 'express';
import type { MandateMcp } from '../core/create.ts';
import { readBody, sendFetchResponse, toFetchRequest } from './node.ts';

async function bodyOf(req: ExpressRequest, max: number): Promise<Buffer | undefined> {
  // A JSON body parser already consumed the stream: serialise what it parsed.
  if (req.body !== undefined && !Buffer.isBuffer(req.body) && typeof req.body === 'object') return Buffer.from(JSON.stringify(req.body));
  if (Buffer.isBuffer(req.body)) return req.body;
  return readBody(req, max);
}

export function expressMcp(mcp: MandateMcp, options: { maxBodyBytes?: number } = {}): Router {
  const max = options.maxBodyBytes ?? 1024 * 1024;
  const router = express.Router();
  const serve = async (req: ExpressRequest, res: ExpressResponse): Promise<void> => {
    const bodyless = req.method === 'GET' || req.method === 'HEAD';
    const body = bodyless ? undefined : await bodyOf(req, max);
    if (!bodyless && body === undefined) {
      res.status(413).json({ error: 'invalid_request', error_description: 'the request body is too large' });
      return;
    }
    const response = await mcp.fetch(toFetchRequest(mcp, req, body), { ...(req.ip ? { ip: req.ip } : {}) });
    await sendFetchResponse(res, response);
  };
  router.all(mcp.metadataPath, serve);
  router.all(mcp.mcpPath, serve);
  return router;
}
