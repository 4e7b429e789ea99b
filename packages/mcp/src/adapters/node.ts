/**
 * Node's http: a request listener. The Request is built on the resource's own origin (the Host
 * header and the request target are the client's to choose); the core checks DPoP htu against
 * that origin in any case (core/resource-url.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MandateMcp } from '../core/create.ts';
import { onResourceOrigin } from '../core/resource-url.ts';

const BODYLESS = new Set(['GET', 'HEAD']);

export function toFetchRequest(mcp: Pick<MandateMcp, 'resource'>, req: IncomingMessage, body?: Buffer): Request {
  const url = onResourceOrigin(new URL(mcp.resource).origin, req.url ?? '/');
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const method = req.method ?? 'GET';
  return new Request(url, { method, headers, ...(BODYLESS.has(method) ? {} : { body: new Uint8Array(body ?? new Uint8Array()) }) });
}

/** The body, or undefined once it is declared or grows past `maxBytes` (the listener answers 413). */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  if (Number(req.headers['content-length'] ?? '0') > maxBytes) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    // Too large: stop reading (the rest is never buffered).
    if (size > maxBytes) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function sendFetchResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  res.writeHead(response.status, headers);
  if (!response.body) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    res.write(value);
  }
  res.end();
}

export function nodeMcpListener(mcp: MandateMcp, options: { maxBodyBytes?: number } = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const max = options.maxBodyBytes ?? 1024 * 1024;
  return (req, res) => {
    void (async () => {
      const method = req.method ?? 'GET';
      const body = BODYLESS.has(method) ? undefined : await readBody(req, max);
      if (!BODYLESS.has(method) && body === undefined) {
        await sendFetchResponse(res, Response.json({ error: 'invalid_request', error_description: 'the request body is too large' }, { status: 413 }));
        return;
      }
      const response = await mcp.fetch(toFetchRequest(mcp, req, body), { ip: req.socket.remoteAddress });
      await sendFetchResponse(res, response);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'server_error' }));
    });
  };
}
