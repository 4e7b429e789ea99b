/**
 * A real HTTP server on 127.0.0.1 serving Client ID Metadata Documents (and anything else a test
 * needs: redirects, slow or oversized bodies), counting the requests each path receives.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface DocumentServer {
  /** http://127.0.0.1:<port> */
  origin: string;
  /** 127.0.0.1:<port>, for cimd.devAllowedHosts */
  hostPort: string;
  route(path: string, handler: Handler): void;
  /** Serves `body` as JSON with the given headers. */
  json(path: string, body: unknown, headers?: Record<string, string>): void;
  hits(path: string): number;
  /** Requests received on a path, with their headers. */
  requests(path: string): IncomingMessage['headers'][];
  close(): Promise<void>;
}

export async function startDocumentServer(): Promise<DocumentServer> {
  const routes = new Map<string, Handler>();
  const seen = new Map<string, IncomingMessage['headers'][]>();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    seen.set(path, [...(seen.get(path) ?? []), req.headers]);
    const handler = routes.get(path);
    if (!handler) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    hostPort: `127.0.0.1:${port}`,
    route: (path, handler) => routes.set(path, handler),
    json(path, body, headers = {}) {
      routes.set(path, (_req, res) => res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body)));
    },
    hits: (path) => seen.get(path)?.length ?? 0,
    requests: (path) => seen.get(path) ?? [],
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
