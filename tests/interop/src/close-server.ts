import type { ServerType } from '@hono/node-server';
import type { Server } from 'node:http';

/** Stops a test server now: keep-alive connections are closed instead of waited for. */
export function closeServer(server: ServerType): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    (server as Server).closeAllConnections?.();
  });
}
