/**
 * Serves Client ID Metadata Documents over https on 127.0.0.1, as a client's website would
 * (CIMD §4: the document is fetched from the client_id URL itself), and counts the fetches.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SelfSignedCertificate } from './self-signed.ts';

export interface DocumentHost {
  origin: string;
  /** host:port, for the server's development allowance (cimd.devAllowedHosts). */
  hostPort: string;
  publish(path: string, document: Record<string, unknown>): string;
  /** Paths fetched so far, in order. */
  fetched: string[];
  close(): Promise<void>;
}

export async function startDocumentHost(tls: SelfSignedCertificate): Promise<DocumentHost> {
  const documents = new Map<string, string>();
  const fetched: string[] = [];
  const server: Server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    fetched.push(path);
    const body = documents.get(path);
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `https://127.0.0.1:${port}`;
  return {
    origin,
    hostPort: `127.0.0.1:${port}`,
    publish(path, document) {
      documents.set(path, JSON.stringify(document));
      return `${origin}${path}`;
    },
    fetched,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
