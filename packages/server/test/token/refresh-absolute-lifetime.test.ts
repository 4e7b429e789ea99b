/**
 * The absolute lifetime of a refresh token family (RFC 9700 §4.14.2, OAuth 2.1 §4.3): rotation
 * renews `ttl.refreshToken` each time, but no successor outlives its grant's creation plus
 * `ttl.refreshTokenAbsolute`, and past that end a refresh is refused without rotating anything.
 * Exchanged grants count from the root user grant. Run on both backends.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { randomId, sha256 } from '../../src/crypto/hash.ts';
import type { GrantRecord } from '../../src/storage/records.ts';
import { findRefreshToken } from '../../src/tokens/refresh-token.ts';
import type { Backend } from '../helpers/test-server.ts';
import { auditEvents, createCode, exchangeCode, introspect, refresh, SECRET, startTokenServer, type TokenServer } from './fixtures.ts';
import { auth, exchange, EXCHANGE_CLIENTS, MCP, TOKEN_EXCHANGE, TT, useExchangeServer, userToken } from '../token-exchange/fixtures.ts';

const HOUR = 3600;
/** Each token 1 h, the family 1.5 h: the second rotation already meets the family's end. */
const TTL = { accessToken: HOUR, refreshToken: HOUR, refreshTokenAbsolute: 1.5 * HOUR };
const ENDED = 'The grant of this refresh token has reached its maximum lifetime; the user must authorize again.';
const webAuth = { basic: ['web-app', SECRET.web] as [string, string] };

describe('ttl.refreshTokenAbsolute configuration', () => {
  const dataDir = () => mkdtempSync(join(tmpdir(), 'mandate-config-'));

  it('defaults to 30 days', () => {
    expect(loadConfig({ MANDATE_DATA_DIR: dataDir() }).ttl.refreshTokenAbsolute).toBe(30 * 24 * HOUR);
  });

  it('takes a configured value and refuses one that is not a positive integer', () => {
    expect(loadConfig({ MANDATE_DATA_DIR: dataDir() }, { ttl: { refreshTokenAbsolute: 7 * 24 * HOUR } }).ttl).toMatchObject({ refreshTokenAbsolute: 7 * 24 * HOUR, refreshToken: 14 * 24 * HOUR });
    expect(() => loadConfig({ MANDATE_DATA_DIR: dataDir() }, { ttl: { refreshTokenAbsolute: 0 } })).toThrow();
    expect(() => loadConfig({ MANDATE_DATA_DIR: dataDir() }, { ttl: { refreshTokenAbsolute: 1.5 } })).toThrow();
  });
});

describe.each<Backend>(['sqlite', 'postgres'])('RFC 9700 §4.14.2 / OAuth 2.1 §4.3 refresh token absolute lifetime (%s)', (backend) => {
  let server: TokenServer;
  beforeAll(async () => {
    server = await startTokenServer({ ttl: TTL }, backend);
  });
  afterAll(async () => {
    await server?.close();
  });

  async function login() {
    const issued = await createCode(server.ctx, { clientId: 'web-app', userId: server.alice.id });
    const res = await exchangeCode(server, issued);
    expect(res.status).toBe(200);
    const grant = (await server.ctx.storage.grants.get(issued.grantId))!;
    return { refreshToken: res.body.refresh_token as string, grant };
  }

  const row = async (token: string) => (await findRefreshToken(server.ctx.storage, token))!;

  it('caps a successor’s expiry at the family’s end, and introspection reports it', async () => {
    const { refreshToken, grant } = await login();
    try {
      const first = await row(refreshToken);
      expect(first.expiresAt).toBe(first.createdAt + HOUR); // the family's end is further away
      expect(first.expiresAt).toBeLessThan(grant.createdAt + TTL.refreshTokenAbsolute);
      server.shiftClock(0.75 * HOUR);
      const second = await refresh(server, refreshToken);
      expect(second.status).toBe(200);
      const end = grant.createdAt + TTL.refreshTokenAbsolute;
      // Not now + 1 h: rotation no longer slides past the family's end.
      expect((await row(second.body.refresh_token)).expiresAt).toBe(end);
      const introspected = await introspect(server, second.body.refresh_token, {}, webAuth);
      expect(introspected.body).toMatchObject({ active: true, exp: end });
    } finally {
      server.shiftClock(0);
    }
  });

  it('refuses a refresh after the family’s end with invalid_grant, issuing and rotating nothing (a token stored before the cap)', async () => {
    const { grant } = await login();
    const end = grant.createdAt + TTL.refreshTokenAbsolute;
    // What a token written before the absolute lifetime existed looks like: its own expiry is later.
    const uncapped = await storeRefreshToken(server, grant, 'web-app', end + 10 * HOUR);
    // RFC 7662 agrees with the token endpoint: the row says later, introspection says the family's end.
    expect((await introspect(server, uncapped, {}, webAuth)).body).toMatchObject({ active: true, exp: end });
    const sign = vi.spyOn(server.ctx.keys, 'sign');
    try {
      at(server, end);
      expect((await introspect(server, uncapped, {}, webAuth)).body).toEqual({ active: false });
      const res = await refresh(server, uncapped);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'invalid_grant', error_description: ENDED });
      expect(sign).not.toHaveBeenCalled(); // no access token, no ID token
      expect((await findRefreshToken(server.ctx.storage, uncapped))?.rotatedAt).toBeNull(); // not rotated: a retry is no reuse
      // Issuance audits in the transaction that stores the tokens: no event, no rows.
      expect((await auditEvents(server, 'token_refreshed')).filter((e) => e.data?.grant_id === grant.id)).toHaveLength(0);
      // The grant is not revoked: running out is no sign of theft.
      expect((await server.ctx.storage.grants.get(grant.id))?.revokedAt).toBeNull();
      sign.mockClear();
      // Just before the end it was still usable.
      at(server, end - 2);
      expect((await refresh(server, uncapped)).status).toBe(200);
    } finally {
      sign.mockRestore();
      server.shiftClock(0);
    }
  });
});

/** Exchanged grants (RFC 8693 §2.2.1) belong to the family of the user grant at the root of their tree. */
describe.each<Backend>(['sqlite', 'postgres'])('RFC 9700 §4.14.2 absolute lifetime of exchanged grants (%s)', (backend) => {
  const clients = EXCHANGE_CLIENTS.map((c) => (c.client_id === 'orchestrator' ? { ...c, grant_types: [TOKEN_EXCHANGE, 'client_credentials', 'refresh_token'] } : c));
  const h = useExchangeServer(backend, { ttl: TTL, clients });

  async function hop(subject: string): Promise<string> {
    const res = await exchange(h.server, { subject_token: subject, subject_token_type: TT.accessToken, actor_token: await h.agent.assertion(), actor_token_type: TT.jwt, resource: MCP, scope: 'mcp:read offline_access' }, auth.orchestrator);
    expect(res.status).toBe(200);
    return res.body.refresh_token as string;
  }

  it('caps the refreshed token at the root grant’s end, and refuses a refresh after it', async () => {
    // The user authorized 45 minutes before the agent's exchange.
    h.server.shiftClock(-0.75 * HOUR);
    const { token, grantId } = await userToken(h.server);
    h.server.shiftClock(0);
    const root = (await h.server.ctx.storage.grants.get(grantId))!;
    const end = root.createdAt + TTL.refreshTokenAbsolute;
    const first = await hop(token);
    const spare = await hop(token);
    try {
      const again = await refresh(h.server, first, {}, auth.orchestrator);
      expect(again.status).toBe(200);
      // Not the exchanged grant's creation + 1.5 h, nor now + 1 h: an exchange never restarts the clock.
      expect((await findRefreshToken(h.server.ctx.storage, again.body.refresh_token as string))?.expiresAt).toBe(end);
      expect((await introspect(h.server, again.body.refresh_token as string, {}, auth.orchestrator)).body).toMatchObject({ active: true, exp: end });

      // The exchange's own refresh token is capped at the root's end too (not its exchange + 1 h).
      expect((await findRefreshToken(h.server.ctx.storage, spare))!.expiresAt).toBe(end);
      at(h.server, end);
      const late = await refresh(h.server, spare, {}, auth.orchestrator);
      expect(late.status).toBe(400);
      expect(late.body).toMatchObject({ error: 'invalid_grant' });
      expect((await findRefreshToken(h.server.ctx.storage, spare))?.rotatedAt).toBeNull();
      // A row stored before the cap existed, with a later expiry: the family check refuses it.
      const exchanged = (await h.server.ctx.storage.grants.get((await findRefreshToken(h.server.ctx.storage, spare))!.grantId))!;
      const legacy = await storeRefreshToken(h.server, exchanged, 'orchestrator', end + HOUR);
      const refused = await refresh(h.server, legacy, {}, auth.orchestrator);
      expect(refused.status).toBe(400);
      expect(refused.body).toEqual({ error: 'invalid_grant', error_description: ENDED });
      expect((await findRefreshToken(h.server.ctx.storage, legacy))?.rotatedAt).toBeNull();
    } finally {
      h.server.shiftClock(0);
    }
  });
});

describe.each<Backend>(['sqlite', 'postgres'])('RFC 8693 §2.2.1 refresh token of an exchange after the root grant’s end (%s)', (backend) => {
  const clients = EXCHANGE_CLIENTS.map((c) => (c.client_id === 'orchestrator' ? { ...c, grant_types: [TOKEN_EXCHANGE, 'client_credentials', 'refresh_token'] } : c));
  // Access tokens outlive the family here, so a still valid subject token can rest on an ended family.
  const LONG_TOKENS = { accessToken: 2 * HOUR, refreshToken: HOUR, refreshTokenAbsolute: HOUR };
  const h = useExchangeServer(backend, { ttl: LONG_TOKENS, clients });

  it('issues the access token without a refresh token, and the audit says why', async () => {
    h.server.shiftClock(-1.5 * HOUR);
    const { token } = await userToken(h.server);
    h.server.shiftClock(0);
    const res = await exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, actor_token: await h.agent.assertion(), actor_token_type: TT.jwt, resource: MCP, scope: 'mcp:read offline_access' }, auth.orchestrator);
    expect(res.status).toBe(200);
    expect(res.body.access_token).toEqual(expect.any(String));
    expect(res.body.refresh_token).toBeUndefined();
    const last = (await auditEvents(h.server, 'token_exchanged')).slice(-1)[0];
    expect(last?.reason).toBe('scope narrowed: offline_access: no refresh token, the user grant at the root of the chain has reached its maximum lifetime');
  });
});

/** Moves the server's clock to the epoch second `t`. */
function at(server: TokenServer, t: number): void {
  server.shiftClock(t - Math.floor(Date.now() / 1000));
}

/** A refresh token row stored directly, with its own expiry (as rows written before the cap). */
async function storeRefreshToken(server: TokenServer, grant: GrantRecord, clientId: string, expiresAt: number): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  const now = server.ctx.now();
  await server.ctx.storage.refreshTokens.create({
    tokenHash: sha256(token),
    id: randomId('rt'),
    grantId: grant.id,
    clientId,
    userId: grant.userId,
    scope: grant.scope,
    resources: grant.resources,
    authorizationDetails: null,
    dpopJkt: null,
    authTime: now,
    acr: null,
    amr: [],
    nonce: null,
    createdAt: now,
    expiresAt,
    rotatedAt: null,
    revokedAt: null,
  });
  return token;
}
