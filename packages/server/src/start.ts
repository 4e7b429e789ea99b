/**
 * Starting Mandate from the environment: configuration, server, development seed, listening port,
 * and the banner that tells the user where to go. main.ts (the server alone) and the repository's
 * `npm start` (server plus demo MCP servers) share it.
 */
import { loadConfig, ConfigError } from './config/load.ts';
import { createServer, type MandateServer } from './server.ts';
import { seedDevelopmentData, type SeedSummary } from './dev/seed.ts';
import type { MandateConfig } from './config/config.ts';
import { dummyPasswordHash } from './crypto/password.ts';

export interface StartedMandate {
  server: MandateServer;
  config: MandateConfig;
  port: number;
  seed: SeedSummary | null;
}

export async function startFromEnvironment(env: NodeJS.ProcessEnv = process.env): Promise<StartedMandate> {
  if (env.NODE_ENV === 'production' && env.MANDATE_DEV_SEED === '1') {
    throw new ConfigError('Development seeding (MANDATE_DEV_SEED=1) is refused in production.');
  }
  const config = loadConfig(env);
  const server = await createServer(config);
  try {
    const seed = config.mode === 'development' && env.MANDATE_DEV_SEED !== '0' ? await seedDevelopmentData(server.ctx) : null;
    const port = await server.listen();
    void dummyPasswordHash().catch(() => {}); // made now, off the path to readiness (crypto/password.ts)
    return { server, config, port, seed };
  } catch (err) {
    await server.close();
    throw err;
  }
}

/** Lines to print once everything is up; `extra` sections come after the server's own. */
export function bannerLines(started: StartedMandate, readyMs: number, extra: string[] = []): string[] {
  const { config, port, seed } = started;
  const storage = config.databaseUrl.startsWith('postgres') ? 'PostgreSQL' : `SQLite (${config.databaseUrl})`;
  const lines = [
    '',
    `  Mandate authorization server (${config.mode}) ready in ${readyMs} ms, listening on port ${port}`,
    `  Issuer:     ${config.issuer}`,
    `  Discovery:  ${config.issuer}/.well-known/openid-configuration`,
    `              ${config.issuer}/.well-known/oauth-authorization-server`,
    `  Storage:    ${storage}`,
  ];
  if (seed) {
    lines.push('', '  Demo users (development only):');
    for (const u of seed.users) lines.push(`    ${u.email}  password: ${u.password}  TOTP secret: ${u.totpSecret}`);
    lines.push('', '  Demo clients:');
    for (const c of seed.clients) lines.push(`    ${c.clientId}  (${c.description})`);
    lines.push('', `  Dynamic client registration: ${seed.dcrPolicy}`);
  }
  lines.push(...extra, '');
  return lines;
}

/** Exit codes: 2 for a configuration refusal, 1 for anything else. */
export function exitOnStartFailure(err: unknown): never {
  if (err instanceof ConfigError) {
    process.stderr.write(`mandate: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`mandate: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
}

/** Closes everything once on SIGINT / SIGTERM. */
export function closeOnSignals(close: () => Promise<void>): void {
  const stop = async () => {
    await close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
