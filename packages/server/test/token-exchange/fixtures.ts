/**
 * Set-up of the token exchange tests: a real server (startTokenServer) with the clients of an
 * on-behalf-of chain registered through static configuration, target resources with their
 * exchange policy, agents with their own ES256 key pairs stored through the real storage, and a
 * user access token obtained through the real authorization code grant.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { MandateConfigInput } from '../../src/config/config.ts';
import type { AgentRecord, UserRecord } from '../../src/storage/records.ts';
import { randomId } from '../../src/crypto/hash.ts';
import type { Backend } from '../helpers/test-server.ts';
import { CLIENTS, createCode, exchangeCode, postForm, SCOPES, startTokenServer, type Form, type JsonResponse, type PostOptions, type TokenServer } from '../token/fixtures.ts';

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const TT = {
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  idToken: 'urn:ietf:params:oauth:token-type:id_token',
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
  idJag: 'urn:ietf:params:oauth:token-type:id-jag',
  refreshToken: 'urn:ietf:params:oauth:token-type:refresh_token',
} as const;

/** The on-behalf-of chain of seed 000 pattern 1: AI host → orchestrator → MCP server → files API. */
export const ORCHESTRATOR = 'https://orchestrator.example/api';
export const MCP = 'https://mcp.example/mcp';
export const FILES = 'https://files.example/api';
/** A target whose tokens use the delegation profile (sub = the agent). */
export const CRM = 'https://crm.example/api';
export const PARTNER_AS = 'https://as.partner.example';
/** A target that accepts at most one actor in a token's chain. */
export const SHALLOW = 'https://shallow.example/api';

export const EXCHANGE_SECRET = {
  host: 'host-secret-0123456789-abcdefghijklmnopqrstuvw',
  orchestrator: 'orch-secret-0123456789-abcdefghijklmnopqrstuv',
  mcp: 'mcp-secret-0123456789-abcdefghijklmnopqrstuvwx',
  plain: 'plain-secret-0123456789-abcdefghijklmnopqrstu',
} as const;

export const EXCHANGE_SCOPES = [...SCOPES, 'files:read', 'files:write', 'crm:read', 'crm:write'];
const TE_GRANTS = ['authorization_code', 'refresh_token', TOKEN_EXCHANGE];

export const EXCHANGE_CLIENTS: Record<string, unknown>[] = [
  ...CLIENTS,
  { client_id: 'host', client_secret: EXCHANGE_SECRET.host, token_endpoint_auth_method: 'client_secret_basic', grant_types: TE_GRANTS, redirect_uris: ['https://host.example/cb'] },
  { client_id: 'orchestrator', client_secret: EXCHANGE_SECRET.orchestrator, token_endpoint_auth_method: 'client_secret_basic', grant_types: [TOKEN_EXCHANGE, 'client_credentials'], scope: 'mcp:read mcp:write files:read crm:read' },
  { client_id: 'mcp-server', client_secret: EXCHANGE_SECRET.mcp, token_endpoint_auth_method: 'client_secret_basic', grant_types: [TOKEN_EXCHANGE, 'client_credentials'] },
  { client_id: 'plain', client_secret: EXCHANGE_SECRET.plain, token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials'] },
];

export const auth = {
  host: { basic: ['host', EXCHANGE_SECRET.host] } as PostOptions,
  orchestrator: { basic: ['orchestrator', EXCHANGE_SECRET.orchestrator] } as PostOptions,
  mcp: { basic: ['mcp-server', EXCHANGE_SECRET.mcp] } as PostOptions,
  plain: { basic: ['plain', EXCHANGE_SECRET.plain] } as PostOptions,
};

export function exchangeConfig(overrides: Partial<MandateConfigInput> = {}): Partial<MandateConfigInput> {
  return {
    scopesSupported: EXCHANGE_SCOPES,
    clients: EXCHANGE_CLIENTS,
    tokenExchange: {
      resources: [
        { resource: ORCHESTRATOR, exchangers: ['orchestrator'] },
        { resource: MCP, exchangers: ['mcp-server'] },
        { resource: FILES, maxDepth: 3, scopes: ['files:read', 'files:write', 'mcp:read'] },
        { resource: CRM, profile: 'delegation', exchangers: ['orchestrator'] },
        { resource: SHALLOW, maxDepth: 1 },
      ],
      idJagAudiences: [{ issuer: PARTNER_AS, scopes: ['crm:read', 'calendar:read'], clientIds: { host: 'host-at-partner' } }],
    },
    ...overrides,
  };
}

export interface TestAgent {
  record: AgentRecord;
  privateKey: CryptoKey;
  /** A fresh, single-use actor token signed by the agent (RFC 7523-style assertion). */
  assertion(claims?: Record<string, unknown>): Promise<string>;
}

export async function createAgent(server: TokenServer, owner: UserRecord, o: Partial<AgentRecord> = {}): Promise<TestAgent> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const t = server.ctx.now();
  const record: AgentRecord = {
    id: randomId('agt'),
    name: 'test agent',
    description: 'an agent of the token exchange tests',
    ownerUserId: owner.id,
    allowedScopes: ['openid', 'mcp:read', 'mcp:write', 'files:read', 'crm:read', 'calendar:read'],
    allowedAudiences: [ORCHESTRATOR, MCP, FILES, CRM, SHALLOW, PARTNER_AS],
    allowedTools: [],
    maxDelegationDepth: 5,
    status: 'active',
    suspendedBy: null,
    attestation: null,
    jwks: { keys: [jwk as Record<string, unknown>] },
    clientId: null,
    createdAt: t,
    updatedAt: t,
    ...o,
  };
  await server.ctx.storage.agents.create(record);
  return {
    record,
    privateKey,
    assertion: (claims = {}) => signAgentAssertion(server, record.id, privateKey, claims),
  };
}

export async function signAgentAssertion(server: TokenServer, agentId: string, key: CryptoKey, claims: Record<string, unknown> = {}): Promise<string> {
  const now = server.ctx.now();
  const payload: Record<string, unknown> = { iss: agentId, sub: agentId, aud: server.issuer, jti: randomUUID(), iat: now, exp: now + 60, ...claims };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'JWT' }).sign(key);
}

/** A user access token from the real authorization code grant, issued to `host` for `resource`. */
export async function userToken(server: TokenServer, o: { scope?: string; resources?: string[]; user?: UserRecord } = {}): Promise<{ token: string; grantId: string; idToken?: string }> {
  const issued = await createCode(server.ctx, {
    clientId: 'host',
    userId: (o.user ?? server.alice).id,
    redirectUri: 'https://host.example/cb',
    scope: o.scope ?? 'openid mcp:read mcp:write files:read files:write',
    resources: o.resources ?? [ORCHESTRATOR],
  });
  const res = await exchangeCode(server, issued, {}, auth.host);
  if (res.status !== 200) throw new Error(`code exchange failed: ${JSON.stringify(res.body)}`);
  return { token: res.body.access_token as string, grantId: issued.grantId, ...(res.body.id_token ? { idToken: res.body.id_token as string } : {}) };
}

export function exchange(server: TokenServer, form: Form, options: PostOptions): Promise<JsonResponse> {
  return postForm(server.tokenUrl, { grant_type: TOKEN_EXCHANGE, ...form }, options);
}

export function startExchangeServer(overrides: Partial<MandateConfigInput> = {}, backend: Backend = 'sqlite'): Promise<TokenServer> {
  return startTokenServer(exchangeConfig(overrides), backend);
}

/** A suite's exchange server and one agent of alice's (useExchangeServer); read them inside tests. */
export interface ExchangeSuite {
  readonly server: TokenServer;
  readonly agent: TestAgent;
}

/**
 * beforeAll/afterAll: starts an exchange server on `backend` and creates one agent of alice's,
 * closes the server after the suite. `overrides` may be a function so that a suite's config is
 * built when the server starts, not when the file is collected.
 */
export function useExchangeServer(backend: Backend = 'sqlite', overrides: Partial<MandateConfigInput> | (() => Partial<MandateConfigInput>) = {}): ExchangeSuite {
  let started: { server: TokenServer; agent: TestAgent } | undefined;
  let server: TokenServer | undefined;
  beforeAll(async () => {
    server = await startExchangeServer(typeof overrides === 'function' ? overrides() : overrides, backend);
    started = { server, agent: await createAgent(server, server.alice) };
  });
  afterAll(async () => {
    await server?.close();
  });
  // Read only inside tests, after beforeAll has run.
  const ready = (): { server: TokenServer; agent: TestAgent } => {
    if (!started) throw new Error('useExchangeServer: the server starts in beforeAll; use it inside a test.');
    return started;
  };
  return {
    get server() { return ready().server; },
    get agent() { return ready().agent; },
  };
}

/** Runs `during` once, inside the next signature of the server's keys (between check and write). */
export async function duringNextSign<T>(server: TokenServer, during: () => Promise<unknown>, act: () => Promise<T>): Promise<T> {
  const keys = server.ctx.keys;
  const sign = keys.sign;
  let armed = true;
  keys.sign = async (...args) => {
    if (armed) {
      armed = false;
      await during();
    }
    return sign.apply(keys, args);
  };
  try {
    return await act();
  } finally {
    keys.sign = sign;
  }
}
