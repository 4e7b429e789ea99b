/**
 * The authorization code grant at /token through a real server: PKCE, single use with
 * revocation on replay, expiry, redirect_uri and client binding, narrowing, ID token, audit.
 * Run on both storage backends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessTokenClaims,
  accessTokenRecord,
  auditEvents,
  createCode,
  createRawClient,
  exchangeCode,
  expectNoSecretsInAudit,
  introspect,
  MCP_RESOURCE,
  OTHER_RESOURCE,
  REDIRECT,
  refresh,
  SECRET,
  startTokenServer,
  type TokenServer,
} from '../token/fixtures.ts';
import { decodeJwt } from 'jose';

describe.each(['sqlite', 'postgres'] as const)('authorization_code grant (%s)', (backend) => {
  let server: TokenServer;
  beforeAll(async () => {
    server = await startTokenServer({}, backend);
  });
  afterAll(async () => {
    await server?.close();
  });

  const code = (o: Partial<Parameters<typeof createCode>[1]> = {}) => createCode(server.ctx, { clientId: 'web-app', userId: server.alice.id, ...o });

  describe('RFC 6749 §4.1.3 / §5.1 successful exchange', () => {
    it('issues an RFC 9068 access token for the granted resource, a refresh token and an ID token, never cached', async () => {
      const issued = await code({ nonce: 'n-0S6_WzA2Mj' });
      const res = await exchangeCode(server, issued);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('pragma')).toBe('no-cache');
      expect(res.body.token_type).toBe('Bearer');
      expect(res.body.expires_in).toBe(server.ctx.config.ttl.accessToken);
      expect(res.body.scope).toBe('openid profile mcp:read');
      expect(typeof res.body.refresh_token).toBe('string');
      const at = accessTokenClaims(res.body.access_token);
      expect(at).toMatchObject({ iss: server.issuer, sub: server.alice.id, aud: MCP_RESOURCE, client_id: 'web-app', scope: 'openid profile mcp:read', acr: 'urn:mandate:acr:mfa' });
      expect(at.cnf).toBeUndefined();
      const idToken = decodeJwt(res.body.id_token);
      expect(idToken).toMatchObject({ iss: server.issuer, sub: server.alice.id, aud: 'web-app', nonce: 'n-0S6_WzA2Mj', name: 'Alice Example' });
      const record = await accessTokenRecord(server, res.body.access_token);
      expect(record).toMatchObject({ grantId: issued.grantId, clientId: 'web-app', userId: server.alice.id, revokedAt: null });
    });

    it('issues no refresh token to a client not registered for the refresh_token grant', async () => {
      const issued = await code({ clientId: 'no-refresh-app' });
      const res = await exchangeCode(server, issued, {}, { basic: ['no-refresh-app', SECRET.web] });
      expect(res.status).toBe(200);
      expect(res.body.refresh_token).toBeUndefined();
    });

    it('issues no ID token without the openid scope', async () => {
      const issued = await code({ scope: 'mcp:read' });
      const res = await exchangeCode(server, issued);
      expect(res.status).toBe(200);
      expect(res.body.id_token).toBeUndefined();
    });

    it('audits the issuance with requested and granted scope, resource, client and user, and nothing secret', async () => {
      const issued = await code();
      const res = await exchangeCode(server, issued, { scope: 'mcp:read' });
      expect(res.status).toBe(200);
      const jti = accessTokenClaims(res.body.access_token).jti;
      const events = (await auditEvents(server, 'token_issued')).filter((e) => e.data?.jti === jti);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ clientId: 'web-app', userId: server.alice.id, requestedScope: 'mcp:read', grantedScope: 'mcp:read', resource: MCP_RESOURCE, result: 'success', ip: '127.0.0.1' });
      expect(events[0]?.data).toMatchObject({ grant_type: 'authorization_code', grant_id: issued.grantId });
      await expectNoSecretsInAudit(server, [issued.code, issued.verifier, res.body.access_token, res.body.refresh_token, SECRET.web]);
    });
  });

  describe('RFC 7636 §4.6 PKCE verification', () => {
    it('refuses a wrong code_verifier (invalid_grant) and burns the code', async () => {
      const issued = await code();
      const wrong = await exchangeCode(server, issued, { code_verifier: 'x'.repeat(43) });
      expect(wrong.status).toBe(400);
      expect(wrong.body.error).toBe('invalid_grant');
      expect(wrong.body.error_description).toMatch(/PKCE/);
      const retry = await exchangeCode(server, issued);
      expect(retry.body.error).toBe('invalid_grant');
    });

    it('refuses a missing code_verifier (invalid_request) without consuming the code', async () => {
      const issued = await code();
      const res = await exchangeCode(server, issued, { code_verifier: undefined });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      expect(res.body.error_description).toMatch(/code_verifier/);
      expect((await exchangeCode(server, issued)).status).toBe(200);
    });

    it.each([
      ['too short (42)', 'a'.repeat(42)],
      ['too long (129)', 'a'.repeat(129)],
      ['outside the unreserved set', `${'a'.repeat(42)}+`],
      ['with a space', `${'a'.repeat(42)} b`],
    ])('refuses a malformed code_verifier: %s', async (_name, verifier) => {
      const issued = await code();
      const res = await exchangeCode(server, issued, { code_verifier: verifier });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      expect(res.body.error_description).toMatch(/RFC 7636 §4.1/);
    });

    it('refuses a verifier for a code that had no challenge (downgrade, RFC 9700 §4.8.2)', async () => {
      const issued = await code({ codeChallenge: '' });
      const res = await exchangeCode(server, issued);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
      expect(res.body.error_description).toMatch(/no code_challenge/);
    });
  });

  describe('RFC 6749 §4.1.2 single use: a replayed code revokes what it issued', () => {
    it('refuses the second exchange and revokes the first exchange’s tokens', async () => {
      const issued = await code();
      const first = await exchangeCode(server, issued);
      expect(first.status).toBe(200);
      expect((await introspect(server, first.body.access_token)).body.active).toBe(true);

      const second = await exchangeCode(server, issued);
      expect(second.status).toBe(400);
      expect(second.body.error).toBe('invalid_grant');

      expect((await introspect(server, first.body.access_token)).body).toEqual({ active: false });
      const grant = await server.ctx.storage.grants.get(issued.grantId);
      expect(grant?.revokedReason).toBe('code_reuse');
      const refreshed = await refresh(server, first.body.refresh_token);
      expect(refreshed.body.error).toBe('invalid_grant');
      const reuse = (await auditEvents(server, 'code_reuse')).filter((e) => e.data?.grant_id === issued.grantId);
      expect(reuse).toHaveLength(1);
      expect(reuse[0]).toMatchObject({ result: 'failure', clientId: 'web-app', userId: server.alice.id });
    });
  });

  describe('RFC 6749 §4.1.3 code checks', () => {
    it('refuses an expired code', async () => {
      const issued = await code({ expiresIn: -1 });
      const res = await exchangeCode(server, issued);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_grant', error_description: 'The authorization code has expired.' });
    });

    it('refuses an unknown code', async () => {
      const issued = await code();
      const res = await exchangeCode(server, { ...issued, code: 'not-a-code' });
      expect(res.body.error).toBe('invalid_grant');
    });

    it('refuses a redirect_uri that differs from the authorization request', async () => {
      const issued = await code();
      const res = await exchangeCode(server, issued, { redirect_uri: 'https://app.example/other' });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
      expect(res.body.error_description).toMatch(/redirect_uri/);
    });

    it('requires redirect_uri when the client has several registered', async () => {
      const clientId = `multi-${Math.random().toString(36).slice(2)}`;
      await createRawClient(server.ctx, { clientId, redirectUris: [REDIRECT.public, 'http://127.0.0.1/other'] });
      const issued = await code({ clientId, redirectUri: REDIRECT.public });
      const res = await exchangeCode(server, issued, { redirect_uri: undefined, client_id: clientId }, {});
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    });

    it('accepts an omitted redirect_uri when the client has exactly one and /authorize omitted it too, compared against the code', async () => {
      const issued = await code({ redirectUriSent: false });
      const res = await exchangeCode(server, issued, { redirect_uri: undefined });
      expect(res.status).toBe(200);
      const other = await code({ redirectUri: 'https://app.example/callback?other=1', redirectUriSent: false });
      const refused = await exchangeCode(server, other, { redirect_uri: undefined });
      expect(refused.body.error).toBe('invalid_grant');
    });

    it('refuses a code issued to another client', async () => {
      const issued = await code({ clientId: 'other-app' });
      const res = await exchangeCode(server, issued);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
      const failures = await auditEvents(server, 'token_failed');
      expect(failures.some((e) => e.clientId === 'web-app' && e.reason?.startsWith('invalid_grant'))).toBe(true);
    });

    it('refuses a code whose grant was revoked before the exchange', async () => {
      const issued = await code();
      await server.ctx.storage.grants.revokeTree(issued.grantId, server.ctx.now(), 'consent_revoked');
      const res = await exchangeCode(server, issued);
      expect(res.body).toMatchObject({ error: 'invalid_grant', error_description: 'The authorization grant has been revoked.' });
    });

    it('requires the code parameter', async () => {
      const issued = await code();
      const res = await exchangeCode(server, issued, { code: undefined });
      expect(res.body.error).toBe('invalid_request');
    });
  });

  describe('RFC 8707 §2.2 resource and RFC 6749 §3.3 scope at the token endpoint', () => {
    it('narrows to a subset of the granted resources and scope', async () => {
      const issued = await code({ resources: [MCP_RESOURCE, OTHER_RESOURCE], scope: 'openid mcp:read mcp:write' });
      const res = await exchangeCode(server, issued, { resource: OTHER_RESOURCE, scope: 'mcp:read' });
      expect(res.status).toBe(200);
      expect(res.body.scope).toBe('mcp:read');
      expect(res.body.id_token).toBeUndefined();
      expect(accessTokenClaims(res.body.access_token)).toMatchObject({ aud: OTHER_RESOURCE, scope: 'mcp:read' });
    });

    it('puts every granted resource in aud when none is named', async () => {
      const issued = await code({ resources: [MCP_RESOURCE, OTHER_RESOURCE] });
      const res = await exchangeCode(server, issued);
      expect(accessTokenClaims(res.body.access_token).aud).toEqual([MCP_RESOURCE, OTHER_RESOURCE]);
    });

    it('refuses a resource outside the grant (invalid_target)', async () => {
      const issued = await code();
      const res = await exchangeCode(server, issued, { resource: 'https://evil.example/' });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_target');
    });

    it('refuses a scope wider than granted (invalid_scope)', async () => {
      const issued = await code({ scope: 'openid mcp:read' });
      const res = await exchangeCode(server, issued, { scope: 'openid mcp:read mcp:write' });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_scope');
    });
  });

  describe('RFC 9396 §7 authorization_details in the token response', () => {
    it('copies the granted authorization details into the response and the token', async () => {
      const details = [{ type: 'payment_initiation', actions: ['initiate'], locations: [MCP_RESOURCE] }];
      const issued = await code({ authorizationDetails: details });
      const res = await exchangeCode(server, issued);
      expect(res.status).toBe(200);
      expect(res.body.authorization_details).toEqual(details);
      expect(accessTokenClaims(res.body.access_token).authorization_details).toEqual(details);
    });
  });

  describe('OIDC Core §3.1.3.3 public clients (PKCE instead of a secret)', () => {
    it('exchanges a code for a public client identified by client_id', async () => {
      const issued = await code({ clientId: 'public-app', redirectUri: REDIRECT.public });
      const res = await exchangeCode(server, issued, { client_id: 'public-app' }, {});
      expect(res.status).toBe(200);
      expect(accessTokenClaims(res.body.access_token).client_id).toBe('public-app');
    });
  });
});
