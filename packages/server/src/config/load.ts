import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigSchema, type MandateConfig, type MandateConfigInput } from './config.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads MANDATE_* environment variables. In development the secret key is generated into the
 * data directory on first start; production refuses to start without MANDATE_SECRET_KEY.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<MandateConfigInput> = {}): MandateConfig {
  const mode = env.NODE_ENV === 'production' ? 'production' : 'development';
  const port = Number(env.MANDATE_PORT ?? 4400);
  const dataDir = resolve(env.MANDATE_DATA_DIR ?? '.mandate');
  const issuer = (env.MANDATE_ISSUER ?? `http://localhost:${port}`).replace(/\/$/, '');
  const databaseUrl = env.MANDATE_DATABASE_URL ?? join(dataDir, 'mandate.sqlite');
  let secretKey = env.MANDATE_SECRET_KEY;
  if (!secretKey) {
    if (mode === 'production') throw new ConfigError('MANDATE_SECRET_KEY is required in production (32 random bytes, base64url).');
    secretKey = developmentSecretKey(dataDir);
  }
  const input: MandateConfigInput = {
    mode,
    issuer,
    port,
    dataDir,
    databaseUrl,
    secretKey,
    ...(env.MANDATE_SIGNING_ALG ? { signingAlg: env.MANDATE_SIGNING_ALG as 'ES256' } : {}),
    ...(env.MANDATE_LOG_LEVEL ? { logLevel: env.MANDATE_LOG_LEVEL } : {}),
    ...overrides,
    ...(env.MANDATE_VAULT_KEY_FILE ? { vault: { ...overrides.vault, keyFile: env.MANDATE_VAULT_KEY_FILE } } : {}),
    ...(mode === 'development' ? developmentDefaults(overrides) : {}),
  };
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(`Invalid configuration: ${parsed.error.message}`);
  checkProductionSafety(parsed.data);
  return parsed.data;
}

export function checkProductionSafety(config: MandateConfig): void {
  if (config.mode !== 'production') return;
  if (Buffer.from(config.secretKey, 'base64url').length < 32) throw new ConfigError('MANDATE_SECRET_KEY must be at least 32 bytes.');
  if (config.cimd.devAllowedHosts.length > 0) throw new ConfigError('cimd.devAllowedHosts is a development allowance and is refused in production.');
  if (config.federation.devAllowedHosts.length > 0) throw new ConfigError('federation.devAllowedHosts is a development allowance and is refused in production.');
  if (!config.issuer.startsWith('https://')) throw new ConfigError('The issuer must be https in production (AS-4).');
}

/** Scopes the development seed's demo clients use (dev-seed.json), besides the admin API scope. */
export const DEVELOPMENT_DEMO_SCOPES = ['mandate:admin', 'mcp:tools', 'mcp:resources'];

/**
 * Scopes users grant to apps that manage their resources at Mandate itself: their agents (issue 3),
 * their sessions and consents (issue 2, account/self-service.ts).
 */
export const DEVELOPMENT_OWNER_SCOPES = ['mandate:agents', 'mandate:account'];

/**
 * Development mode (issue 2): open dynamic registration and the demo scopes, unless the caller set
 * them explicitly. Production keeps the schema defaults (registration off).
 */
function developmentDefaults(overrides: Partial<MandateConfigInput>): Partial<MandateConfigInput> {
  return {
    dcr: { ...overrides.dcr, policy: overrides.dcr?.policy ?? 'open' },
    scopesSupported: overrides.scopesSupported ?? ['openid', 'profile', 'email', 'offline_access', ...DEVELOPMENT_DEMO_SCOPES, ...DEVELOPMENT_OWNER_SCOPES],
  };
}

function developmentSecretKey(dataDir: string): string {
  const file = join(dataDir, 'secret.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('base64url');
  writeFileSync(file, key + '\n', { mode: 0o600 });
  return key;
}
