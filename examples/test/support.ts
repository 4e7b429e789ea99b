/**
 * The demos against a REAL Mandate authorization server (startTestServer, its own SQLite database):
 * startDemoServers registers what the demos need through the AS's context, exactly as `npm start`
 * does, on free ports. Users obtain tokens through the authorization code grant (the code stored
 * the way /authorize stores it after login and consent) and, for agents, RFC 8693 token exchange.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startTestServer, type TestServer } from '../../packages/server/test/helpers/test-server.ts';
import { createUser, formBody, newVerifier, s256 } from '../../packages/server/test/token/fixtures.ts';
import { randomId, sha256 } from '../../packages/server/src/crypto/hash.ts';
import type { UserRecord } from '../../packages/server/src/storage/records.ts';
import { upsertConfiguredClient } from '../../packages/server/src/clients/static.ts';
import { startDemoServers, type DemoServers } from '../start-demos.ts';

export const REDIRECT = 'http://127.0.0.1/callback';
export const ACR = { mfa: 'urn:mandate:acr:mfa', phr: 'urn:mandate:acr:phr' } as const;
export const AGENT_CLIENT = { clientId: 'sales-agent-runtime', clientSecret: 'sales-agent-runtime-secret-0123456789-abcd' };

export interface DemoEnv {
  as: TestServer;
  demos: DemoServers;
  alice: UserRecord; // HR director
  bob: UserRecord; // sales manager of carol and dan
  spoolDir: string;
  close(): Promise<void>;
}

export async function startDemoEnv(): Promise<DemoEnv> {
  const as = await startTestServer({ scopesSupported: ['openid', 'profile'] });
  const ctx = as.server.ctx;
  const alice = await createUser(ctx, 'alice@example.com', 'Alice Example');
  const bob = await createUser(ctx, 'bob@example.com', 'Bob Example');
  const spoolDir = mkdtempSync(join(tmpdir(), 'mandate-demo-spool-'));
  const demos = await startDemoServers({ issuer: as.issuer, ctx, ports: { hr: 0, crm: 0, crmApi: 0 }, spoolDir });
  return {
    as,
    demos,
    alice,
    bob,
    spoolDir,
    async close() {
      await demos.close();
      await as.close();
    },
  };
}

/** An access token for `resource` through the authorization code grant of a public client (PKCE). */
export async function userToken(env: DemoEnv, o: { clientId: string; user: UserRecord; scope: string; resource: string; acr?: string }): Promise<string> {
  const ctx = env.as.server.ctx;
  const now = ctx.now();
  const grantId = randomId('grt');
  const code = randomBytes(32).toString('base64url');
  const verifier = newVerifier();
  await ctx.storage.grants.create({ id: grantId, userId: o.user.id, clientId: o.clientId, agentId: null, parentGrantId: null, scope: o.scope, resources: [o.resource], authorizationDetails: null, consentId: null, createdAt: now, revokedAt: null, revokedReason: null });
  await ctx.storage.codes.create({
    codeHash: sha256(code),
    grantId,
    clientId: o.clientId,
    userId: o.user.id,
    redirectUri: REDIRECT,
    redirectUriSent: true,
    codeChallenge: s256(verifier),
    codeChallengeMethod: 'S256',
    scope: o.scope,
    resources: [o.resource],
    authorizationDetails: null,
    nonce: null,
    authTime: now - 5,
    acr: o.acr ?? ACR.mfa,
    amr: o.acr === ACR.phr ? ['hwk'] : ['pwd', 'otp'],
    dpopJkt: null,
    sessionIdHash: null,
    createdAt: now,
    expiresAt: now + 60,
    consumedAt: null,
  });
  const secret = o.clientId === AGENT_CLIENT.clientId ? AGENT_CLIENT.clientSecret : undefined;
  const res = await fetch(`${env.as.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(secret ? { authorization: `Basic ${Buffer.from(`${o.clientId}:${secret}`).toString('base64')}` } : {}) },
    body: formBody({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT, resource: o.resource, ...(secret ? {} : { client_id: o.clientId }) }),
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200) throw new Error(`token request failed: ${JSON.stringify(body)}`);
  return String(body.access_token);
}

/**
 * A token for `resource` in which an AI agent acts for `user` (RFC 8693 act claim): the agent's
 * runtime client (bound to the agent) exchanges the user's token for one that names the agent.
 */
export async function agentToken(env: DemoEnv, o: { user: UserRecord; scope: string; resource: string }): Promise<{ token: string; agentId: string }> {
  const ctx = env.as.server.ctx;
  if (!(await ctx.storage.clients.get(AGENT_CLIENT.clientId))) {
    await upsertConfiguredClient(ctx, {
      client_id: AGENT_CLIENT.clientId,
      client_secret: AGENT_CLIENT.clientSecret,
      client_name: 'Sales Assistant agent runtime',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:token-exchange'],
      redirect_uris: [REDIRECT],
      scope: 'hr:read hr:write crm:read',
    });
  }
  let agent = await ctx.storage.agents.getByClientId(AGENT_CLIENT.clientId);
  if (!agent) {
    const t = ctx.now();
    agent = { id: randomId('agt'), name: 'Sales Assistant', description: 'demo agent', ownerUserId: o.user.id, allowedScopes: ['hr:read', 'hr:write', 'crm:read'], allowedAudiences: [o.resource], allowedTools: [], maxDelegationDepth: 3, status: 'active', suspendedBy: null, attestation: { model: 'demo-model', runtime: 'node' }, jwks: null, clientId: AGENT_CLIENT.clientId, createdAt: t, updatedAt: t };
    await ctx.storage.agents.create(agent);
  }
  const subject = await userToken(env, { clientId: AGENT_CLIENT.clientId, user: o.user, scope: o.scope, resource: o.resource });
  const res = await fetch(`${env.as.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${AGENT_CLIENT.clientId}:${AGENT_CLIENT.clientSecret}`).toString('base64')}` },
    body: formBody({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: subject, subject_token_type: 'urn:ietf:params:oauth:token-type:access_token', resource: o.resource, scope: o.scope }),
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200) throw new Error(`agent token exchange failed: ${JSON.stringify(body)}`);
  return { token: String(body.access_token), agentId: agent.id };
}

/** One raw JSON-RPC POST to an MCP endpoint (stateless Streamable HTTP). */
export async function rpc(url: string, token: string, method: string, params: Record<string, unknown> = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // an SSE body: keep the text
  }
  return { status: res.status, headers: res.headers, body };
}

export function callTool(url: string, token: string, name: string, args: Record<string, unknown> = {}) {
  return rpc(url, token, 'tools/call', { name, arguments: args });
}
