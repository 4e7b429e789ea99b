/**
 * What the in-process benches (token-exchange.ts, vault-release.ts) share: a development server
 * on SQLite in a temporary directory, a user with a grant and many subject tokens, a closed-loop
 * runner over `app.fetch`, and the machine description written next to the figures.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ConfigSchema, type MandateConfig, type MandateConfigInput } from '../../packages/server/src/config/config.ts';
import { createServer, type MandateServer } from '../../packages/server/src/server.ts';
import { randomId } from '../../packages/server/src/crypto/hash.ts';
import { issueAccessToken } from '../../packages/server/src/tokens/access-token.ts';

type ServerContext = MandateServer['ctx'];

/** Above the 1,000 entries of keys/verified-tokens.ts, so every request verifies its subject token's signature (no cache hits). */
export const SUBJECT_TOKENS = 3000;

/** Development mode on SQLite in `dir`, a fresh secret key; `settings` adds the bench's own clients, scopes and policies. */
export function benchConfig(dir: string, port: number, settings: Omit<MandateConfigInput, 'mode' | 'issuer' | 'port' | 'dataDir' | 'databaseUrl' | 'secretKey'>): MandateConfig {
  return ConfigSchema.parse({
    mode: 'development',
    issuer: `http://127.0.0.1:${port}`,
    port,
    dataDir: dir,
    databaseUrl: join(dir, 'mandate.sqlite'),
    secretKey: randomBytes(32).toString('base64url'),
    ...settings,
  });
}

/**
 * Runs `measure` against a silent in-process server (nothing listens: requests go through
 * `app.fetch`), then closes it and removes its directory whatever happened.
 */
export async function withInProcessServer<T>(
  dirPrefix: string,
  settings: Parameters<typeof benchConfig>[2],
  measure: (server: MandateServer, config: MandateConfig) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const config = benchConfig(dir, 4400, { logLevel: 'silent', ...settings });
  const server = await createServer(config, { logger: pino({ level: 'silent' }) });
  try {
    return await measure(server, config);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A user, one grant to `clientId` for `resource`, and `count` user access tokens as the
 * authorization code grant issues them (signed, recorded under that grant). Used round robin
 * with `count` above the verified-token cache, so every request really verifies a signature.
 */
export async function seedSubjectTokens(ctx: ServerContext, args: { clientId: string; resource: string; scope: string; count: number; email?: string }): Promise<{ userId: string; subjectTokens: string[] }> {
  const now = ctx.now();
  const userId = randomId('usr');
  await ctx.storage.users.create({ id: userId, email: args.email ?? 'bench@example.com', name: 'Bench', passwordHash: null, totpSecretEncrypted: null, isAdmin: false, disabled: false, createdAt: now, updatedAt: now });
  const grantId = randomId('grt');
  await ctx.storage.grants.create({ id: grantId, userId, clientId: args.clientId, agentId: null, parentGrantId: null, scope: args.scope, resources: [args.resource], authorizationDetails: null, consentId: null, createdAt: now, revokedAt: null, revokedReason: null });
  const subjectTokens: string[] = [];
  for (let i = 0; i < args.count; i++) {
    const issued = await issueAccessToken(ctx, { subject: userId, clientId: args.clientId, userId, grantId, scope: args.scope, audience: [args.resource], authTime: now, acr: 'urn:mandate:acr:pwd', amr: ['pwd'] });
    subjectTokens.push(issued.token);
  }
  return { userId, subjectTokens };
}

/** A token endpoint POST authenticated with client_secret_basic (the value of `authorization`). */
export function tokenRequest(issuer: string, authorization: string, body: URLSearchParams | string): Request {
  return new Request(`${issuer}/token`, { method: 'POST', headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' }, body: typeof body === 'string' ? body : body.toString() });
}

/** `concurrency` workers call `one` back to back until `durationMs` has passed (closed loop). */
export async function runClosedLoop(one: () => Promise<boolean>, concurrency: number, durationMs: number): Promise<{ ok: number; failed: number; ms: number }> {
  let ok = 0;
  let failed = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (performance.now() - t0 < durationMs) {
      if (await one()) ok++;
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ok, failed, ms: performance.now() - t0 };
}

/**
 * Prints the figures with the machine they were taken on and writes them to `resultUrl`. The load
 * average says how busy the machine was: absolute rates depend on it, ratios much less.
 */
export function printAndWriteResult(resultUrl: URL, quick: boolean, figures: object): void {
  const out = { date: new Date().toISOString(), cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', loadAverage1m: Math.round(loadavg()[0]! * 100) / 100, node: process.version, quick, ...figures };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  writeFileSync(resultUrl, `${JSON.stringify(out, null, 2)}\n`);
}
