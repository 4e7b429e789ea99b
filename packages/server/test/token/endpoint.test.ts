/**
 * The token endpoint itself (RFC 6749 §3.2, §5.1, §5.2): request syntax, grant type dispatch,
 * client authentication and the grant types a client may use. Grant logic is in test/grants.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, postForm, SECRET, startTokenServer, webAuth, type TokenServer } from './fixtures.ts';

describe('token endpoint', () => {
  let server: TokenServer;
  beforeAll(async () => {
    server = await startTokenServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  const raw = (body: BodyInit, headers: Record<string, string>) => fetch(server.tokenUrl, { method: 'POST', headers, body }).then(async (r) => ({ status: r.status, headers: r.headers, body: (await r.json()) as Record<string, unknown> }));

  describe('RFC 6749 §5.2 unsupported_grant_type (OAuth 2.1 §10: no password, no implicit)', () => {
    it.each(['password', 'implicit', 'token', 'urn:example:made-up', 'AUTHORIZATION_CODE'])('refuses grant_type=%s', async (grantType) => {
      const res = await postForm(server.tokenUrl, { grant_type: grantType, username: 'alice@example.com', password: 'x' }, webAuth);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('unsupported_grant_type');
      expect(res.headers.get('cache-control')).toBe('no-store');
    });
  });

  describe('RFC 6749 §3.2 / §5.2 invalid_request', () => {
    it('requires grant_type', async () => {
      const res = await postForm(server.tokenUrl, { code: 'x' }, webAuth);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request', error_description: "The 'grant_type' parameter is required." });
    });

    it('refuses a repeated parameter', async () => {
      const res = await raw('grant_type=client_credentials&grant_type=client_credentials&client_id=machine&client_secret=' + SECRET.machine, { 'content-type': 'application/x-www-form-urlencoded' });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      expect(res.body.error_description).toMatch(/grant_type.*repeated/);
      const scope = await raw(`grant_type=client_credentials&scope=mcp:read&scope=mcp:write&client_id=machine&client_secret=${SECRET.machine}`, { 'content-type': 'application/x-www-form-urlencoded' });
      expect(scope.body.error).toBe('invalid_request');
    });

    it.each(['application/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded-x'])('refuses content type %s', async (type) => {
      const res = await raw(JSON.stringify({ grant_type: 'client_credentials' }), { 'content-type': type });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    });

    it('refuses a missing content type', async () => {
      const res = await raw(new Blob(['grant_type=client_credentials']), {});
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    });

    it('accepts a charset parameter on the form content type', async () => {
      const res = await raw(`grant_type=client_credentials&client_id=machine&client_secret=${SECRET.machine}`, { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' });
      expect(res.status).toBe(200);
    });

    it('refuses an oversized body', async () => {
      const res = await raw(`grant_type=client_credentials&padding=${'a'.repeat(70 * 1024)}`, { 'content-type': 'application/x-www-form-urlencoded' });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      expect(res.body.error_description).toMatch(/larger than/);
    });

    it('refuses a body that is not UTF-8', async () => {
      const res = await raw(new Uint8Array([0x67, 0x72, 0x61, 0x6e, 0x74, 0x3d, 0xff, 0xfe]), { 'content-type': 'application/x-www-form-urlencoded' });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    });
  });

  describe('RFC 6749 §3.2.1 client authentication comes first', () => {
    it('refuses a wrong secret with 401 invalid_client and a Basic challenge', async () => {
      const res = await postForm(server.tokenUrl, { grant_type: 'authorization_code', code: 'x', code_verifier: 'a'.repeat(43), redirect_uri: 'https://app.example/callback' }, { basic: ['web-app', 'wrong'] });
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic/);
    });

    it('refuses an unknown client', async () => {
      const res = await postForm(server.tokenUrl, { grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'x' });
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
    });

    it('refuses a request without any client identification', async () => {
      const res = await postForm(server.tokenUrl, { grant_type: 'refresh_token', refresh_token: 'x' });
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
    });
  });

  describe('RFC 6749 §5.2 unauthorized_client: only the registered grant types', () => {
    it('refuses client_credentials to a client registered for authorization_code', async () => {
      const res = await postForm(server.tokenUrl, { grant_type: 'client_credentials' }, webAuth);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('unauthorized_client');
      const failed = (await auditEvents(server, 'token_failed')).filter((e) => e.clientId === 'web-app' && e.data?.grant_type === 'client_credentials');
      expect(failed.length).toBeGreaterThan(0);
      expect(failed[0]?.reason).toMatch(/^unauthorized_client/);
    });

    it('refuses refresh_token to a client not registered for it', async () => {
      const res = await postForm(server.tokenUrl, { grant_type: 'refresh_token', refresh_token: 'x' }, { basic: ['no-refresh-app', SECRET.web] });
      expect(res.body.error).toBe('unauthorized_client');
    });
  });
});
