/**
 * Token introspection (RFC 7662) through a real server: authenticated callers only, the RFC
 * members for live tokens, `{ active: false }` and nothing else for any other token.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createRawClient,
  accessTokenClaims,
  createCode,
  exchangeCode,
  introspect,
  MCP_RESOURCE,
  postForm,
  SECRET,
  startTokenServer,
  type TokenServer,
} from '../token/fixtures.ts';
import { sha256 } from '../../src/crypto/hash.ts';

describe('RFC 7662 token introspection', () => {
  let server: TokenServer;
  let userTokens: { access_token: string; refresh_token: string };
  let grantId: string;
  beforeAll(async () => {
    server = await startTokenServer();
    const issued = await createCode(server.ctx, { clientId: 'web-app', userId: server.alice.id, scope: 'openid mcp:read' });
    grantId = issued.grantId;
    const res = await exchangeCode(server, issued);
    userTokens = res.body as typeof userTokens;
  });
  afterAll(async () => {
    await server?.close();
  });

  const url = () => `${server.issuer}/introspect`;

  describe('RFC 7662 §2.2 active access token', () => {
    it('describes a live access token to a resource server with the RFC 9068 claims', async () => {
      const res = await introspect(server, userTokens.access_token);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const claims = accessTokenClaims(userTokens.access_token);
      expect(res.body).toEqual({
        active: true,
        scope: 'openid mcp:read',
        client_id: 'web-app',
        sub: server.alice.id,
        aud: MCP_RESOURCE,
        iss: server.issuer,
        exp: claims.exp,
        iat: claims.iat,
        jti: claims.jti,
        auth_time: claims.auth_time,
        acr: 'urn:mandate:acr:mfa',
        amr: ['pwd', 'otp'],
        token_type: 'Bearer',
      });
    });

    it('describes a client credentials token', async () => {
      const cc = await postForm(server.tokenUrl, { grant_type: 'client_credentials', client_id: 'machine', client_secret: SECRET.machine, scope: 'mcp:read' });
      const res = await introspect(server, cc.body.access_token, { token_type_hint: 'access_token' });
      expect(res.body).toMatchObject({ active: true, sub: 'machine', client_id: 'machine', scope: 'mcp:read', token_type: 'Bearer' });
    });

    it('ignores an unknown token_type_hint', async () => {
      const res = await introspect(server, userTokens.access_token, { token_type_hint: 'id_token' });
      expect(res.body.active).toBe(true);
    });
  });

  describe('RFC 7662 §2.2 inactive tokens: { active: false } and nothing else', () => {
    it.each([
      ['garbage', 'not-a-token'],
      ['a JWT not signed by this server', 'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl'],
      ['an unsecured JWT', 'eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiJ4In0.'],
    ])('answers inactive for %s', async (_name, token) => {
      const res = await introspect(server, token);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ active: false });
    });

    it('answers inactive for an ID token (a JWT of this server, but not an access token)', async () => {
      const issued = await createCode(server.ctx, { clientId: 'web-app', userId: server.alice.id, scope: 'openid' });
      const res = await exchangeCode(server, issued);
      expect((await introspect(server, res.body.id_token)).body).toEqual({ active: false });
    });

    it('answers inactive for a revoked access token', async () => {
      const cc = await postForm(server.tokenUrl, { grant_type: 'client_credentials', client_id: 'machine', client_secret: SECRET.machine });
      await server.ctx.storage.accessTokens.revoke(accessTokenClaims(cc.body.access_token).jti, server.ctx.now());
      expect((await introspect(server, cc.body.access_token)).body).toEqual({ active: false });
    });

    it('answers inactive for an expired access token', async () => {
      const cc = await postForm(server.tokenUrl, { grant_type: 'client_credentials', client_id: 'machine', client_secret: SECRET.machine });
      server.shiftClock(server.ctx.config.ttl.clientCredentials + 1);
      try {
        expect((await introspect(server, cc.body.access_token)).body).toEqual({ active: false });
      } finally {
        server.shiftClock(0);
      }
    });

    it('answers inactive for a client credentials token once its client is deleted (no grant to revoke)', async () => {
      await createRawClient(server.ctx, { clientId: 'short-lived-machine', clientSecretHash: sha256(SECRET.machine), tokenEndpointAuthMethod: 'client_secret_post', grantTypes: ['client_credentials'], redirectUris: [], scope: 'mcp:read' });
      const cc = await postForm(server.tokenUrl, { grant_type: 'client_credentials', client_id: 'short-lived-machine', client_secret: SECRET.machine });
      expect((await introspect(server, cc.body.access_token)).body.active).toBe(true);
      await server.ctx.storage.clients.delete('short-lived-machine');
      expect((await introspect(server, cc.body.access_token)).body).toEqual({ active: false });
    });

    it('answers inactive for tokens of a revoked grant', async () => {
      const issued = await createCode(server.ctx, { clientId: 'web-app', userId: server.alice.id });
      const res = await exchangeCode(server, issued);
      await server.ctx.storage.grants.revokeTree(issued.grantId, server.ctx.now(), 'consent_revoked');
      expect((await introspect(server, res.body.access_token)).body).toEqual({ active: false });
      expect((await introspect(server, res.body.refresh_token, {}, { basic: ['web-app', SECRET.web] })).body).toEqual({ active: false });
    });
  });

  describe('RFC 7662 §4 refresh tokens are described only to their own client', () => {
    it('describes a live refresh token to the client it was issued to', async () => {
      const res = await introspect(server, userTokens.refresh_token, { token_type_hint: 'refresh_token' }, { basic: ['web-app', SECRET.web] });
      expect(res.body).toMatchObject({ active: true, client_id: 'web-app', sub: server.alice.id, scope: 'openid mcp:read', iss: server.issuer });
      expect(res.body.exp).toBeGreaterThan(server.ctx.now());
      expect(res.body.token_type).toBeUndefined();
      const stored = await server.ctx.storage.grants.get(grantId);
      expect(stored?.revokedAt).toBeNull();
    });

    it('answers inactive to any other client, a resource server included', async () => {
      expect((await introspect(server, userTokens.refresh_token)).body).toEqual({ active: false });
    });

    it("reads nothing of another client's refresh token beyond the token itself (no grant, no ancestors)", async () => {
      const grantReads = vi.spyOn(server.ctx.storage.grants, 'get');
      try {
        expect((await introspect(server, userTokens.refresh_token)).body).toEqual({ active: false });
        expect(grantReads).not.toHaveBeenCalled();
      } finally {
        grantReads.mockRestore();
      }
    });
  });

  describe('RFC 7662 §2.1 the caller must authenticate', () => {
    it('refuses an unauthenticated caller', async () => {
      const res = await postForm(url(), { token: userTokens.access_token });
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
    });

    it('refuses a wrong secret', async () => {
      const res = await introspect(server, userTokens.access_token, {}, { basic: ['resource-server', 'wrong'] });
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
    });

    it('refuses a public client', async () => {
      const res = await postForm(url(), { token: userTokens.access_token, client_id: 'public-app' });
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
    });

    it('requires the token parameter', async () => {
      const res = await introspect(server, '');
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    });

    it('refuses a repeated token parameter', async () => {
      const res = await postForm(url(), { token: [userTokens.access_token, 'x'] }, { basic: ['resource-server', SECRET.rs] });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    });
  });
});
