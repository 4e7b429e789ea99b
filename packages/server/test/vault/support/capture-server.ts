/**
 * An attacker's (or a misbehaving provider's) HTTP server on loopback: records every request it
 * receives — body and authorization header included — and answers what the test says.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface Captured {
  method: string;
  path: string;
  authorization: string | null;
  body: string;
}

export interface CaptureServer {
  origin: string;
  hostPort: string;
  requests: Captured[];
  /** Default: a valid Bearer token response. */
  respond: (req: Captured, res: ServerResponse) => void;
  close(): Promise<void>;
}

export async function startCaptureServer(): Promise<CaptureServer> {
  const requests: Captured[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const captured = { method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization ?? null, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(captured);
      cs.respond(captured, res);
    });
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  const cs: CaptureServer = {
    origin: `http://127.0.0.1:${port}`,
    hostPort: `127.0.0.1:${port}`,
    requests,
    respond: (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: 'attacker-issued', token_type: 'Bearer', expires_in: 3600 }));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return cs;
}
