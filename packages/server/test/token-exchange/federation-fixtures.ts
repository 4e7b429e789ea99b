/**
 * Set-up of the federated subject token tests (federated-subject.test.ts, id-jag-subject.test.ts):
 * the token exchange server of fixtures.ts, trusting
 * - an OpenID Provider whose ID tokens are exchanged, keys by value, users mapped by verified email;
 * - a second OpenID Provider whose keys are fetched from a loopback jwks_uri (the SSRF-safe fetch,
 *   allowed by federation.devAllowedHosts), users mapped by `sub` through an explicit table;
 * - an ID-JAG issuer (another company's authorization server), users mapped by email.
 * Tokens are signed with jose (CompactSign, so hostile claim values can be sent as well).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect } from 'vitest';
import type { UserRecord } from '../../src/storage/records.ts';
import type { Backend } from '../helpers/test-server.ts';
import type { JsonResponse, TokenServer } from '../token/fixtures.ts';
import { issuerKey, signAssertion, type IssuerKey } from '../jwt-bearer/support.ts';
import { auth, exchange, EXCHANGE_CLIENTS, FILES, MCP, startExchangeServer, TOKEN_EXCHANGE } from './fixtures.ts';

export const OP = 'https://login.company-a.example';
export const OP_REMOTE = 'https://accounts.company-c.example';
export const JAG_ISSUER = 'https://as.company-a.example';
/** Our client's id at the OpenID Provider: the `aud` of the ID tokens we accept. */
export const OP_CLIENT_ID = 'mandate-at-company-a';
/** A second client id of ours at the same OpenID Provider (say, the native app): also trusted. */
export const OP_NATIVE_CLIENT_ID = 'mandate-native-at-company-a';
export const OP_REMOTE_CLIENT_ID = 'mandate-at-company-c';
export const BOB_ID = 'usr_federated_bob';
/** The email domains the email-mapping issuers are trusted for. */
export const EMAIL_DOMAINS = ['example.com', 'Company-A.example'];
export const BOB_SUB_AT_REMOTE = 'c-user-4711';
export const ID_JAG_TYP = 'oauth-id-jag+jwt';
/** A public client registered for token exchange (an ID-JAG's client_id binding means nothing for it). */
export const PUBLIC_CLIENT = 'public-exchanger';

export interface FederatedExchangeServer {
  server: TokenServer;
  opKey: IssuerKey;
  remoteKey: IssuerKey;
  jagKey: IssuerKey;
  bob: UserRecord;
  /** A user whose account here is disabled. */
  dora: UserRecord;
  /** kate@example.com: the Kelvin sign K (U+212A) lowercases to her "k" (email mapping must not). */
  kate: UserRecord;
  idTokenClaims(extra?: Record<string, unknown>): Record<string, unknown>;
  remoteIdTokenClaims(extra?: Record<string, unknown>): Record<string, unknown>;
  idJagClaims(extra?: Record<string, unknown>): Record<string, unknown>;
  idToken(extra?: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
  idJag(extra?: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
  jwksFetches(): number;
  close(): Promise<void>;
}

/** Exchanges a subject token of `subjectTokenType` for MCP, by the orchestrator unless `options` names another client. */
export function subjectTokenSender(server: () => TokenServer, subjectTokenType: string) {
  return (token: string, form: Record<string, string> = {}, options = auth.orchestrator): Promise<JsonResponse> =>
    exchange(server(), { subject_token: token, subject_token_type: subjectTokenType, resource: MCP, ...form }, options);
}

/** One FederatedExchangeServer (SQLite) for the whole test file, handed to `ready` (which may add its own set-up). */
export function useFederatedExchangeServer(ready: (f: FederatedExchangeServer) => void | Promise<void>): void {
  let f: FederatedExchangeServer | undefined;
  beforeAll(async () => {
    f = await startFederatedExchangeServer();
    await ready(f);
  });
  afterAll(async () => {
    await f?.close();
  });
}

export async function startFederatedExchangeServer(backend: Backend = 'sqlite'): Promise<FederatedExchangeServer> {
  const [opKey, remoteKey, jagKey] = await Promise.all([issuerKey('ES256'), issuerKey('ES256'), issuerKey('ES256')]);
  let fetches = 0;
  const jwksServer: Server = createServer((_req, res) => {
    fetches += 1;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [remoteKey.publicJwk] }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const address = jwksServer.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const server = await startExchangeServer({
    clients: [...EXCHANGE_CLIENTS, { client_id: PUBLIC_CLIENT, token_endpoint_auth_method: 'none', grant_types: [TOKEN_EXCHANGE] }],
    federation: {
      devAllowedHosts: [`127.0.0.1:${port}`],
      idTokenIssuers: [
        {
          issuer: OP,
          jwks: { keys: [opKey.publicJwk as Record<string, unknown>] },
          algorithms: ['ES256'],
          audiences: [OP_CLIENT_ID, OP_NATIVE_CLIENT_ID],
          subjectClaim: 'email',
          emailDomains: EMAIL_DOMAINS, // not company-c.example: Bob's domain is another issuer's
          // files:write and offline_access: allowed by the policy, not by the client's registration / ever.
          clients: [
            { clientId: 'orchestrator', scopes: ['mcp:read', 'files:read', 'files:write', 'offline_access'], resources: [MCP, FILES] },
            // A public client: only ID tokens issued to our native app's client id at the OP.
            { clientId: PUBLIC_CLIENT, scopes: ['mcp:read'], resources: [MCP], audiences: [OP_NATIVE_CLIENT_ID] },
          ],
          maxLifetime: 3600,
        },
        {
          issuer: OP_REMOTE,
          jwksUri: `http://127.0.0.1:${port}/oauth2/v3/certs`,
          algorithms: ['ES256'],
          audiences: [OP_REMOTE_CLIENT_ID],
          subjectClaim: 'sub',
          users: { [BOB_SUB_AT_REMOTE]: BOB_ID, '4711': BOB_ID },
          clients: [{ clientId: 'orchestrator', scopes: ['mcp:read'] }],
        },
      ],
      idJagIssuers: [
        {
          issuer: JAG_ISSUER,
          jwks: { keys: [jagKey.publicJwk as Record<string, unknown>] },
          algorithms: ['ES256'],
          subjectClaim: 'email',
          emailDomains: EMAIL_DOMAINS,
          clients: [
            { clientId: 'orchestrator', scopes: ['mcp:read', 'files:read', 'crm:write'], resources: [MCP, FILES] },
            { clientId: PUBLIC_CLIENT, scopes: ['mcp:read'] },
          ],
        },
      ],
    },
  }, backend);
  const t = server.ctx.now();
  const bob: UserRecord = { id: BOB_ID, email: 'bob@company-c.example', name: 'Bob', passwordHash: null, totpSecretEncrypted: null, isAdmin: false, disabled: false, createdAt: t, updatedAt: t };
  const dora: UserRecord = { ...bob, id: 'usr_disabled_dora', email: 'dora@example.com', name: 'Dora', disabled: true };
  await server.ctx.storage.users.create(bob);
  const kate: UserRecord = { ...bob, id: 'usr_kate', email: 'kate@example.com', name: 'Kate' };
  await server.ctx.storage.users.create(dora);
  await server.ctx.storage.users.create(kate);

  const now = (): number => server.ctx.now();
  const f: FederatedExchangeServer = {
    server,
    opKey,
    remoteKey,
    jagKey,
    bob,
    dora,
    kate,
    idTokenClaims: (extra = {}) => ({
      iss: OP,
      sub: 'a-user-0001',
      aud: OP_CLIENT_ID,
      email: server.alice.email,
      email_verified: true,
      nonce: 'n-0S6_WzA2Mj', // the client's own authentication request: irrelevant here
      auth_time: now() - 60,
      iat: now(),
      exp: now() + 300,
      ...extra,
    }),
    remoteIdTokenClaims: (extra = {}) => ({ iss: OP_REMOTE, sub: BOB_SUB_AT_REMOTE, aud: OP_REMOTE_CLIENT_ID, iat: now(), exp: now() + 300, ...extra }),
    idJagClaims: (extra = {}) => ({
      iss: JAG_ISSUER,
      sub: 'a-user-0001',
      email: server.alice.email,
      aud: server.issuer,
      client_id: 'orchestrator',
      scope: 'mcp:read mcp:write files:read',
      resource: [MCP, FILES],
      iat: now(),
      exp: now() + 300,
      jti: randomUUID(),
      ...extra,
    }),
    idToken: (extra = {}, header = { typ: 'JWT' }) => signAssertion(opKey, f.idTokenClaims(extra), header),
    idJag: (extra = {}, header = { typ: ID_JAG_TYP }) => signAssertion(jagKey, f.idJagClaims(extra), header),
    jwksFetches: () => fetches,
    async close() {
      await server.close();
      await new Promise<void>((resolve) => jwksServer.close(() => resolve()));
    },
  };
  return f;
}

export async function auditCount(server: TokenServer, event: string): Promise<number> {
  return (await server.ctx.storage.audit.list({ event, limit: 10_000 })).length;
}

/** Runs the exchange and checks the refusal: code, reason, audited with the subject token type, nothing issued. */
export async function expectRefused(server: TokenServer, send: () => Promise<JsonResponse>, error: string, reason: RegExp, subjectTokenType: string): Promise<void> {
  const exchanged = await auditCount(server, 'token_exchanged');
  const refusals = await auditCount(server, 'token_exchange_refused');
  const res = await send();
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.body.error, JSON.stringify(res.body)).toBe(error);
  expect(res.body.error_description).toMatch(reason);
  expect(res.body.access_token).toBeUndefined();
  expect(await auditCount(server, 'token_exchanged')).toBe(exchanged);
  const events = await server.ctx.storage.audit.list({ event: 'token_exchange_refused', limit: 10_000 });
  expect(events.length).toBe(refusals + 1);
  expect(events.at(-1)!.reason).toContain(error);
  expect(events.at(-1)!.data).toMatchObject({ subject_token_type: subjectTokenType });
}
