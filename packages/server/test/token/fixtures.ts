/**
 * Shared set-up of the token, grant, introspection, revocation and userinfo tests: a real server
 * (startTestServer) with clients registered through the static configuration, a user, and
 * authorization codes created the way /authorize stores them (a GrantRecord plus an
 * AuthorizationCodeRecord holding sha256(code)) through the server's own storage.
 */
import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import type { MandateConfigInput } from '../../src/config/config.ts';
import type { ServerContext } from '../../src/context.ts';
import { randomId, sha256 } from '../../src/crypto/hash.ts';
import type { AccessTokenRecord, AuditEventRecord, ClientRecord, UserRecord } from '../../src/storage/records.ts';
import { startTestServer, type Backend, type TestServer } from '../helpers/test-server.ts';
import { signProof, type ProofKey } from '../dpop/proofs.ts';
import { CLIENTS, MCP_RESOURCE, REDIRECT, SCOPES, SECRET } from './clients.ts';
import { clientRecord } from '../helpers/client-record.ts';

export { proofKey, signProof, type ProofKey } from '../dpop/proofs.ts';

export { SECRET, REDIRECT, MCP_RESOURCE, OTHER_RESOURCE, SCOPES, CLIENTS } from './clients.ts';

export interface TokenServer {
  ts: TestServer;
  ctx: ServerContext;
  issuer: string;
  tokenUrl: string;
  alice: UserRecord;
  /** Moves ctx.now() by this many seconds (expiry tests); 0 = wall clock. */
  shiftClock(seconds: number): void;
  close(): Promise<void>;
}

export async function startTokenServer(overrides: Partial<MandateConfigInput> = {}, backend: Backend = 'sqlite'): Promise<TokenServer> {
  const ts = await startTestServer({ scopesSupported: SCOPES, clients: CLIENTS, ...overrides }, backend);
  const ctx = ts.server.ctx;
  const wallClock = ctx.now;
  let offset = 0;
  ctx.now = () => wallClock() + offset;
  const alice = await createUser(ctx, 'alice@example.com', 'Alice Example');
  return {
    ts,
    ctx,
    issuer: ts.issuer,
    tokenUrl: `${ts.issuer}/token`,
    alice,
    shiftClock(seconds) {
      offset = seconds;
    },
    close: () => ts.close(),
  };
}

export async function createUser(ctx: ServerContext, email: string, name: string): Promise<UserRecord> {
  const t = ctx.now();
  const user: UserRecord = { id: randomId('usr'), email, name, passwordHash: null, totpSecretEncrypted: null, isAdmin: false, disabled: false, createdAt: t, updatedAt: t };
  await ctx.storage.users.create(user);
  return user;
}

/** A client stored directly (for registrations the metadata validation would never produce). */
export async function createRawClient(ctx: ServerContext, record: Partial<ClientRecord> & { clientId: string }): Promise<ClientRecord> {
  const full = clientRecord({ redirectUris: [REDIRECT.public], applicationType: 'native', ...record }, ctx.now());
  await ctx.storage.clients.create(full);
  return full;
}

/** RFC 7636 §4.1: 43–128 unreserved characters. */
export function newVerifier(): string {
  return randomBytes(48).toString('base64url');
}

/** RFC 7636 §4.2 S256 challenge. */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

export interface CodeOptions {
  clientId: string;
  userId: string;
  redirectUri?: string;
  /** Whether /authorize had redirect_uri (RFC 6749 §4.1.3); default true. */
  redirectUriSent?: boolean;
  scope?: string;
  resources?: string[];
  authorizationDetails?: Record<string, unknown>[] | null;
  nonce?: string | null;
  dpopJkt?: string | null;
  /** Seconds from now (negative: already expired). */
  expiresIn?: number;
  codeChallenge?: string;
  /** The consent the grant rests on, as /authorize records it (CO-1: revoking it revokes the grant). */
  consentId?: string | null;
  /** The login session the grant was created under (CO-1: ending it revokes the grant). */
  sessionIdHash?: string | null;
}

export interface IssuedCode {
  code: string;
  verifier: string;
  grantId: string;
  redirectUri: string;
}

/** What /authorize stores after consent: the grant and its code (hashed). */
export async function createCode(ctx: ServerContext, o: CodeOptions): Promise<IssuedCode> {
  const now = ctx.now();
  const grantId = randomId('grt');
  const code = randomBytes(32).toString('base64url');
  const verifier = newVerifier();
  const redirectUri = o.redirectUri ?? (o.clientId === 'public-app' || o.clientId === 'dpop-app' ? REDIRECT.public : REDIRECT.web);
  const scope = o.scope ?? 'openid profile mcp:read';
  const resources = o.resources ?? [MCP_RESOURCE];
  const authorizationDetails = o.authorizationDetails ?? null;
  await ctx.storage.grants.create({
    id: grantId,
    userId: o.userId,
    clientId: o.clientId,
    agentId: null,
    parentGrantId: null,
    scope,
    resources,
    authorizationDetails,
    consentId: o.consentId ?? null,
    createdAt: now,
    revokedAt: null,
    revokedReason: null,
    ...(o.sessionIdHash ? { sessionIdHash: o.sessionIdHash } : {}),
  });
  await ctx.storage.codes.create({
    codeHash: sha256(code),
    grantId,
    clientId: o.clientId,
    userId: o.userId,
    redirectUri,
    redirectUriSent: o.redirectUriSent ?? true,
    codeChallenge: o.codeChallenge ?? s256(verifier),
    codeChallengeMethod: 'S256',
    scope,
    resources,
    authorizationDetails,
    nonce: o.nonce ?? null,
    authTime: now - 5,
    acr: 'urn:mandate:acr:mfa',
    amr: ['pwd', 'otp'],
    dpopJkt: o.dpopJkt ?? null,
    sessionIdHash: o.sessionIdHash ?? null,
    createdAt: now,
    expiresAt: now + (o.expiresIn ?? 60),
    consumedAt: null,
  });
  return { code, verifier, grantId, redirectUri };
}

export type Form = Record<string, string | string[] | undefined>;

export interface PostOptions {
  /** HTTP Basic client authentication (RFC 6749 §2.3.1). */
  basic?: [string, string];
  dpop?: string;
  headers?: Record<string, string>;
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  // Tests read arbitrary members of JSON responses.
  body: Record<string, any>;
}

export function formBody(form: Form): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) {
    if (v === undefined) continue;
    for (const value of Array.isArray(v) ? v : [v]) params.append(k, value);
  }
  return params.toString();
}

export async function postForm(url: string, form: Form, options: PostOptions = {}): Promise<JsonResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...options.headers };
  if (options.basic) headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(options.basic[0])}:${encodeURIComponent(options.basic[1])}`).toString('base64')}`;
  if (options.dpop) headers.dpop = options.dpop;
  const res = await fetch(url, { method: 'POST', headers, body: formBody(form) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, any>) };
}

export const webAuth: PostOptions = { basic: ['web-app', SECRET.web] };

/** Exchanges a code created by createCode. */
export function exchangeCode(server: TokenServer, issued: IssuedCode, form: Form = {}, options: PostOptions = webAuth): Promise<JsonResponse> {
  return postForm(server.tokenUrl, { grant_type: 'authorization_code', code: issued.code, code_verifier: issued.verifier, redirect_uri: issued.redirectUri, ...form }, options);
}

export function refresh(server: TokenServer, refreshToken: string, form: Form = {}, options: PostOptions = webAuth): Promise<JsonResponse> {
  return postForm(server.tokenUrl, { grant_type: 'refresh_token', refresh_token: refreshToken, ...form }, options);
}

/** Introspects as the resource server (a confidential client). */
export function introspect(server: TokenServer, token: string, form: Form = {}, options: PostOptions = { basic: ['resource-server', SECRET.rs] }): Promise<JsonResponse> {
  return postForm(`${server.issuer}/introspect`, { token, ...form }, options);
}

/** A DPoP proof for the token endpoint of this server. */
export function tokenProof(server: TokenServer, key: ProofKey, claims: Record<string, unknown> = {}): Promise<string> {
  return signProof(key, { htu: server.tokenUrl, claims });
}

export function accessTokenClaims(token: string): Record<string, any> {
  return decodeJwt(token) as Record<string, any>;
}

export async function accessTokenRecord(server: TokenServer, token: string): Promise<AccessTokenRecord | null> {
  return server.ctx.storage.accessTokens.get(String(accessTokenClaims(token).jti));
}

export async function auditEvents(server: TokenServer, event?: string): Promise<AuditEventRecord[]> {
  return server.ctx.storage.audit.list({ ...(event ? { event } : {}), limit: 1000 });
}

/** Every row of the audit log, as text, must not contain any of the secrets. */
export async function expectNoSecretsInAudit(server: TokenServer, secrets: string[]): Promise<void> {
  const text = JSON.stringify(await auditEvents(server));
  for (const secret of secrets) if (text.includes(secret)) throw new Error('a secret reached the audit log');
}
