/**
 * Starts a real Mandate server on a loopback port for a test, on either storage backend.
 * Every test server has its own database: a fresh SQLite file, or a fresh PostgreSQL schema.
 */
import { tmpdir } from 'node:os';
import { createServer as createNetServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { ConfigSchema, type MandateConfigInput } from '../../src/config/config.ts';
import { createServer, type MandateServer } from '../../src/server.ts';
import { isolatedDatabaseUrl, type Backend } from './isolated-database.ts';

export { TEST_PG_URL, isolatedDatabaseUrl, type Backend } from './isolated-database.ts';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface TestServer {
  server: MandateServer;
  /** The issuer, e.g. http://127.0.0.1:41234 */
  issuer: string;
  port: number;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /**
   * The host name in the issuer (default 127.0.0.1). WebAuthn needs a domain as its RP ID — an IP
   * address is not one (WebAuthn L3 §5.1.2) — so passkey tests use `localhost`. The server still
   * listens on 127.0.0.1 only.
   */
  hostname?: string;
  /** A path in the issuer (MANDATE_ISSUER=https://host/tenant; RFC 8414 §3.1 inserts well-known paths before it). */
  issuerPath?: string;
}

export async function startTestServer(overrides: Partial<MandateConfigInput> = {}, backend: Backend = 'sqlite', options: TestServerOptions = {}): Promise<TestServer> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const issuer = `http://${options.hostname ?? '127.0.0.1'}:${port}${options.issuerPath ?? ''}`;
    const db = isolatedDatabaseUrl(backend);
    const config = ConfigSchema.parse({
      mode: 'development',
      issuer,
      port,
      dataDir: tmpdir(),
      databaseUrl: db.url,
      secretKey: randomBytes(32).toString('base64url'),
      logLevel: process.env.MANDATE_TEST_LOG ?? 'silent',
      ...overrides,
    });
    const server = await createServer(config, { logger: pino({ level: config.logLevel }) });
    try {
      await server.listen(port, '127.0.0.1');
    } catch (err) {
      await server.close();
      await db.cleanup();
      // freePort releases the port before the server binds it (the issuer must name the port
      // first); a test in another worker may take it meanwhile. Start again on a new port.
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 5) continue;
      throw err;
    }
    return {
      server,
      issuer,
      port,
      async close() {
        await server.close();
        await db.cleanup();
      },
    };
  }
}
