/**
 * The Mandate server under test, in its own process (so RSS is the server's own and the load
 * generator does not share its event loop). SQLite in a temporary directory, audit on (it always
 * is), log level `info` to a file, as `npm start` would log. Commands over IPC seed the
 * storage the way the endpoints would, run in-process load through `app.fetch`, report memory
 * and record CPU profiles.
 */
import { mkdtempSync, rmSync, writeFileSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Session } from 'node:inspector/promises';
import pino from 'pino';
import { createServer, type MandateServer } from '../packages/server/src/server.ts';
import { randomId, randomToken, sha256 } from '../packages/server/src/crypto/hash.ts';
import { issueRefreshToken } from '../packages/server/src/tokens/refresh-token.ts';
import type { ClientRecord } from '../packages/server/src/storage/records.ts';
import { serveCommands } from './lib/child.ts';
import { benchConfig } from './lib/in-process.ts';
import { freePort } from './lib/free-port.ts';
import { memoryFigures } from './lib/memory.ts';
import { API_SCOPE, BENCH_USER_ID, CC_BODY, CC_CLIENT, FORM, PKCE_VERIFIER, REDIRECT_URI, RESOURCE, RS_CLIENT, WEB_CLIENT, basicAuth, type BenchClient } from './lib/fixtures.ts';
import { EXCHANGE_SCOPES, EXCHANGE_SETTINGS, seedExchangeBodies } from './lib/exchange-fixture.ts';
import { clientRecord as testClientRecord } from '../packages/server/test/helpers/client-record.ts';

let server: MandateServer | undefined;
let dir: string | undefined;
let issuer = '';
let profiler: Session | undefined;

function must(): MandateServer {
  if (!server) throw new Error('server not started');
  return server;
}

async function start(): Promise<{ port: number; issuer: string; startMs: number }> {
  const t0 = performance.now();
  dir = mkdtempSync(join(tmpdir(), 'mandate-bench-'));
  const port = await freePort();
  issuer = `http://127.0.0.1:${port}`;
  const config = benchConfig(dir, port, {
    logLevel: 'info',
    scopesSupported: ['openid', 'profile', 'email', 'offline_access', API_SCOPE, ...EXCHANGE_SCOPES],
    // The token exchange's clients and policy (lib/exchange-fixture.ts). Its ttl.accessToken
    // (3,600 s, so subject tokens outlive the run) holds for every phase's user access tokens: it
    // changes their `exp`, not the work per request (client_credentials uses ttl.clientCredentials).
    ...EXCHANGE_SETTINGS,
    // Pre-made codes must outlive the seeding and the run (the default is 60 s); subject tokens
    // for the exchange too (an exchanged token never outlives its subject token).
    ttl: { ...EXCHANGE_SETTINGS.ttl, authorizationCode: 600 },
  });
  const logger = pino({ level: config.logLevel }, pino.destination({ fd: openSync(join(dir, 'server.log'), 'a'), sync: false }));
  server = await createServer(config, { logger });
  await server.listen(port, '127.0.0.1');
  await seedClientsAndUser();
  return { port, issuer, startMs: Math.round(performance.now() - t0) };
}

function clientRecord(client: BenchClient, grantTypes: string[], scope: string, redirectUris: string[]): ClientRecord {
  return testClientRecord(
    {
      clientId: client.clientId,
      clientSecretHash: sha256(client.secret),
      clientName: `Bench ${client.clientId}`,
      redirectUris,
      grantTypes,
      responseTypes: redirectUris.length > 0 ? ['code'] : [],
      tokenEndpointAuthMethod: 'client_secret_basic',
      scope,
    },
    Math.floor(Date.now() / 1000),
  );
}

async function seedClientsAndUser(): Promise<void> {
  const { storage } = must().ctx;
  const now = Math.floor(Date.now() / 1000);
  await storage.clients.create(clientRecord(CC_CLIENT, ['client_credentials'], API_SCOPE, []));
  await storage.clients.create(clientRecord(WEB_CLIENT, ['authorization_code', 'refresh_token'], `openid offline_access ${API_SCOPE}`, [REDIRECT_URI]));
  await storage.clients.create(clientRecord(RS_CLIENT, ['client_credentials'], API_SCOPE, []));
  await storage.users.create({
    id: BENCH_USER_ID,
    email: 'bench@example.com',
    name: 'Bench User',
    passwordHash: null,
    totpSecretEncrypted: null,
    isAdmin: false,
    disabled: false,
    createdAt: now,
    updatedAt: now,
  });
}

function newGrant(scope: string, now: number) {
  return {
    id: randomId('grt'),
    userId: BENCH_USER_ID,
    clientId: WEB_CLIENT.clientId,
    agentId: null,
    parentGrantId: null,
    scope,
    resources: [RESOURCE],
    authorizationDetails: null,
    consentId: null,
    createdAt: now,
    revokedAt: null,
    revokedReason: null,
  };
}

/**
 * Authorization codes as the authorization endpoint stores them after login and consent
 * (endpoints/authorize/complete.ts): a grant, the code's SHA-256 with the PKCE S256 challenge
 * (RFC 7636 §4.2) and the audit row — written in batches of 1000 per transaction for speed.
 */
async function seedCodes(args: { count: number; scope: string }): Promise<string[]> {
  const { ctx } = must();
  const now = ctx.now();
  const challenge = createHash('sha256').update(PKCE_VERIFIER).digest('base64url');
  const codes: string[] = [];
  for (let done = 0; done < args.count; ) {
    const batch = Math.min(1000, args.count - done);
    await ctx.storage.transaction(async (tx) => {
      for (let i = 0; i < batch; i++) {
        const code = randomToken();
        const grant = newGrant(args.scope, now);
        await tx.grants.create(grant);
        await tx.codes.create({
          codeHash: sha256(code),
          grantId: grant.id,
          clientId: WEB_CLIENT.clientId,
          userId: BENCH_USER_ID,
          redirectUri: REDIRECT_URI,
          redirectUriSent: true,
          codeChallenge: challenge,
          codeChallengeMethod: 'S256',
          scope: args.scope,
          resources: [RESOURCE],
          authorizationDetails: null,
          nonce: null,
          authTime: now,
          acr: '1',
          amr: ['pwd'],
          dpopJkt: null,
          sessionIdHash: null,
          createdAt: now,
          expiresAt: now + ctx.config.ttl.authorizationCode,
          consumedAt: null,
        });
        // endpoints/authorize/complete.ts writes the authorization's audit row in the same transaction.
        await tx.audit.append(
          { event: 'authorization', userId: BENCH_USER_ID, clientId: WEB_CLIENT.clientId, requestedScope: args.scope, grantedScope: args.scope, resource: RESOURCE, ip: '127.0.0.1', result: 'success', data: { grantId: grant.id } },
          now,
        );
        codes.push(code);
      }
    });
    done += batch;
  }
  return codes;
}

/** Refresh tokens as the token endpoint issues them (tokens/refresh-token.ts), each on its own grant. */
async function seedRefreshTokens(args: { count: number; scope: string }): Promise<string[]> {
  const { ctx } = must();
  const now = ctx.now();
  const tokens: string[] = [];
  for (let i = 0; i < args.count; i++) {
    const grant = newGrant(args.scope, now);
    await ctx.storage.grants.create(grant);
    const issued = await issueRefreshToken(ctx, {
      grantId: grant.id,
      clientId: WEB_CLIENT.clientId,
      userId: BENCH_USER_ID,
      scope: args.scope,
      resources: [RESOURCE],
      authorizationDetails: null,
      dpopJkt: null,
      authTime: now,
      acr: '1',
      amr: ['pwd'],
      nonce: null,
      familyStartedAt: grant.createdAt,
    });
    tokens.push(issued.token);
  }
  return tokens;
}

function ccRequest(): Request {
  return new Request(`${issuer}/token`, { method: 'POST', headers: { authorization: basicAuth(CC_CLIENT), 'content-type': FORM }, body: CC_BODY });
}

/** Access tokens for the introspection pool, through the real token endpoint (in-process). */
async function issueAccessTokens(args: { count: number }): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < args.count; i++) {
    const res = await must().app.fetch(ccRequest());
    const body = (await res.json()) as { access_token?: string };
    if (res.status !== 200 || !body.access_token) throw new Error(`client_credentials failed: ${res.status} ${JSON.stringify(body)}`);
    out.push(body.access_token);
  }
  return out;
}

/** client_credentials through `app.fetch`, no sockets: the cost of Mandate's own code and storage. */
async function inProcess(args: { concurrency: number; durationMs: number; warmupMs: number }): Promise<{ okPerSecond: number; ok: number; failed: number }> {
  const { app } = must();
  const t0 = performance.now();
  const measureFrom = t0 + args.warmupMs;
  const deadline = measureFrom + args.durationMs;
  let ok = 0;
  let failed = 0;
  let last = measureFrom;
  const worker = async () => {
    while (performance.now() < deadline) {
      const res = await app.fetch(ccRequest());
      await res.arrayBuffer();
      const now = performance.now();
      if (now < measureFrom) continue;
      if (res.status === 200) ok++;
      else failed++;
      last = now;
    }
  };
  await Promise.all(Array.from({ length: args.concurrency }, worker));
  return { okPerSecond: Math.round((ok / Math.max(1, last - measureFrom)) * 1000), ok, failed };
}

/** CPU time per client_credentials grant through `app.fetch` (no sockets), for bench/cc-cpu.ts. */
async function inProcessCpu(args: { requests: number; concurrency: number }): Promise<{ cpuMsPerRequest: number }> {
  const { app } = must();
  let left = args.requests;
  const before = process.cpuUsage();
  const worker = async () => {
    while (left-- > 0) {
      const res = await app.fetch(ccRequest());
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`client_credentials failed: ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: args.concurrency }, worker));
  const used = process.cpuUsage(before);
  return { cpuMsPerRequest: (used.user + used.system) / 1000 / args.requests };
}

async function profileStart(): Promise<void> {
  profiler = new Session();
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.setSamplingInterval', { interval: 200 });
  await profiler.post('Profiler.start');
}

async function profileStop(args: { path: string }): Promise<string> {
  if (!profiler) throw new Error('no profile running');
  const { profile } = await profiler.post('Profiler.stop');
  writeFileSync(args.path, JSON.stringify(profile));
  profiler.disconnect();
  profiler = undefined;
  return args.path;
}

async function stop(): Promise<void> {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** Token exchange request bodies, each with its own single-use actor assertion (lib/exchange-fixture.ts). */
function seedExchange(args: { count: number }): Promise<string[]> {
  return seedExchangeBodies(must(), args.count);
}

serveCommands({
  start,
  seedExchange,
  seedCodes,
  seedRefreshTokens,
  issueAccessTokens,
  inProcess,
  inProcessCpu,
  memory: () => memoryFigures(),
  cpuUsage: () => process.cpuUsage(),
  profileStart,
  profileStop,
  stop,
});
