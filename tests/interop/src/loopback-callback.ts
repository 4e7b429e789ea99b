/**
 * A native app's loopback redirect listener (RFC 8252 §7.3): receives the authorization response
 * on http://127.0.0.1:<port>/callback, answers the browser with a short page, and hands the
 * parameters to the test.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackCallback {
  redirectUri: string;
  /** Resolves with the full URL of the first request to /callback. */
  received: Promise<URL>;
  close(): Promise<void>;
}

export async function startLoopbackCallback(): Promise<LoopbackCallback> {
  let deliver!: (url: URL) => void;
  const received = new Promise<URL>((resolve) => (deliver = resolve));
  let origin = '';
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname !== '/callback') {
      res.writeHead(404).end();
      return;
    }
    deliver(url);
    const outcome = url.searchParams.has('code') ? 'Signed in. You can return to the application.' : 'Authorization failed.';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><title>Interop App</title><h1 id="outcome">${outcome}</h1>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    redirectUri: `${origin}/callback`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
