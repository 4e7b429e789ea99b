/**
 * Builds a running authorization server from a configuration: storage, keys, client registry,
 * audit, HTTP app. Used by main.ts, by tests (several servers in one process) and by the bench.
 */
import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import pino, { type Logger } from 'pino';
import type { MandateConfig } from './config/config.ts';
import type { ServerContext } from './context.ts';
import { Envelope } from './crypto/envelope.ts';
import { createAuditLog } from './audit/log.ts';
import { openStorage } from './storage/open.ts';
import type { Storage } from './storage/storage.ts';
import { createSigningKeys } from './keys/signing-keys.ts';
import { createClientRegistry } from './clients/registry.ts';
import { registerStaticClients } from './clients/static.ts';
import { createApp } from './http/app.ts';
import { setSecurityHeaders } from './http/security-headers.ts';
import { createTokenVault } from './vault/from-config.ts';
import { startMaintenance, type Maintenance } from './storage/maintenance.ts';
import { installBase64Builtins } from './runtime/base64-builtins.ts';

export interface MandateServer {
  ctx: ServerContext;
  app: Hono;
  /** Starts listening; resolves with the bound port. */
  listen(port?: number, host?: string): Promise<number>;
  close(): Promise<void>;
  /** The periodic purge of expired rows (storage/maintenance.ts); stopped by close(). */
  maintenance: Maintenance;
}

export function createLogger(level: string): Logger {
  return pino({
    level,
    // Secrets never reach the log, even when someone logs a whole request by mistake.
    redact: {
      paths: ['*.password', '*.client_secret', '*.code', '*.refresh_token', '*.access_token', '*.authorization', '*.cookie', '*.totp', 'req.headers.authorization', 'req.headers.cookie'],
      censor: '[redacted]',
    },
  });
}

export async function createServer(config: MandateConfig, options: { logger?: Logger; now?: () => number } = {}): Promise<MandateServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const storage = await openStorage(config.databaseUrl, { logger });
  try {
    return await assemble(config, storage, logger, now);
  } catch (err) {
    await storage.close(); // a failed start (bad key, bad static client) must not leave the database open
    throw err;
  }
}

/**
 * The ServerContext over an open storage: migrations, envelope, signing keys, client registry,
 * audit. Also used by tests that mount their own routes on a real context (test/dpop/harness.ts).
 */
export async function createServerContext(config: MandateConfig, storage: Storage, logger: Logger, now: () => number): Promise<ServerContext> {
  installBase64Builtins(); // where the runtime lacks them: jose's base64 goes through Buffer
  await storage.migrate();
  const envelope = new Envelope(config.secretKey);
  const keys = await createSigningKeys({
    storage,
    envelope,
    issuer: config.issuer,
    alg: config.signingAlg,
    now,
    // A retired key stays published until the longest-lived token it signed has expired.
    maxTokenTtl: Math.max(config.ttl.accessToken, config.ttl.idToken, config.ttl.clientCredentials),
  });
  const ctx: ServerContext = {
    config,
    storage,
    keys,
    envelope,
    clients: createClientRegistry({ config, storage, logger, now }),
    audit: createAuditLog(storage, now),
    logger,
    // One vault per server: releases share one refresh per entry (vault/single-flight.ts). Its clock is ctx.now, read per call (tests replace it).
    vault: createTokenVault(config, storage, () => ctx.now()),
    now,
  };
  return ctx;
}

async function assemble(config: MandateConfig, storage: Storage, logger: Logger, now: () => number): Promise<MandateServer> {
  const ctx = await createServerContext(config, storage, logger, now);
  await registerStaticClients(ctx);
  const app = createApp(ctx);
  let server: ServerType | undefined;
  const maintenance = startMaintenance(ctx.storage, config.maintenance, logger, () => ctx.now());

  return {
    ctx,
    app,
    maintenance,
    listen(port = config.port, host = config.host) {
      return new Promise((resolve, reject) => {
        const s = serve({ fetch: app.fetch, port, hostname: host }, (info) => resolve(info.port));
        s.prependListener('request', setSecurityHeaders);
        s.once('error', reject);
        server = s;
      });
    },
    async close() {
      await maintenance.stop();
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
      await ctx.storage.close();
    },
  };
}
