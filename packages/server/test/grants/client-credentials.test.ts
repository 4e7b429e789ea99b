/**
 * The client credentials grant (RFC 6749 §4.4) through a real server: confidential clients only,
 * scope within the client's registration, resource indicators as the audience, no refresh token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessTokenClaims,
  accessTokenRecord,
  auditEvents,
  createRawClient,
  expectNoSecretsInAudit,
  MCP_RESOURCE,
  postForm,
  SECRET,
  startTokenServer,
  type Form,
  type TokenServer,
} from '../token/fixtures.ts';
import { sha256 } from '../../src/crypto/hash.ts';

describe('RFC 6749 §4.4 client credentials grant', () => {
  let server: TokenServer;
  beforeAll(async () => {
    server = await startTokenServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  const machine = (form: Form = {}) => postForm(server.tokenUrl, { grant_type: 'client_credentials', client_id: 'machine', client_secret: SECRET.machine, ...form });

  describe('RFC 6749 §4.4.3 access token response', () => {
    it('issues a short-lived token whose subject is the client, for the named resource, with no refresh token', async () => {
      const res = await machine({ scope: 'mcp:read', resource: MCP_RESOURCE });
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('pragma')).toBe('no-cache');
      expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: server.ctx.config.ttl.clientCredentials, scope: 'mcp:read' });
      expect(res.body.refresh_token).toBeUndefined();
      expect(res.body.id_token).toBeUndefined();
      const claims = accessTokenClaims(res.body.access_token);
      expect(claims).toMatchObject({ iss: server.issuer, sub: 'machine', client_id: 'machine', aud: MCP_RESOURCE, scope: 'mcp:read' });
      expect(claims.exp - claims.iat).toBe(server.ctx.config.ttl.clientCredentials);
      expect(await accessTokenRecord(server, res.body.access_token)).toMatchObject({ clientId: 'machine', userId: null, grantId: null, scope: 'mcp:read', revokedAt: null });
    });

    it('uses the registered scope when none is requested (RFC 6749 §3.3 default)', async () => {
      const res = await machine();
      expect(res.status).toBe(200);
      expect(res.body.scope).toBe('mcp:read mcp:write');
    });

    it('uses the issuer as audience when no resource is named (RFC 9068 §3)', async () => {
      const res = await machine({ scope: 'mcp:read' });
      expect(accessTokenClaims(res.body.access_token).aud).toBe(server.issuer);
    });

    it('audits the issuance: requested and granted scope, resource, client, no user, nothing secret', async () => {
      const res = await machine({ scope: 'mcp:write', resource: MCP_RESOURCE });
      const jti = accessTokenClaims(res.body.access_token).jti;
      const event = (await auditEvents(server, 'token_issued')).find((e) => e.data?.jti === jti);
      expect(event).toMatchObject({ clientId: 'machine', userId: null, requestedScope: 'mcp:write', grantedScope: 'mcp:write', resource: MCP_RESOURCE, result: 'success' });
      expect(event?.data?.grant_type).toBe('client_credentials');
      await expectNoSecretsInAudit(server, [res.body.access_token, SECRET.machine, sha256(SECRET.machine)]);
    });
  });

  describe('RFC 6749 §4.4 confidential clients only', () => {
    it('refuses a public client registered without the grant (unauthorized_client)', async () => {
      const res = await postForm(server.tokenUrl, { grant_type: 'client_credentials', client_id: 'public-app' });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('unauthorized_client');
    });

    it('refuses a public client even if its registration lists the grant', async () => {
      await createRawClient(server.ctx, { clientId: 'odd-public', grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'none' });
      const res = await postForm(server.tokenUrl, { grant_type: 'client_credentials', client_id: 'odd-public' });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('unauthorized_client');
      expect(res.body.error_description).toMatch(/Public clients/);
    });

    it('refuses a wrong secret (invalid_client, 401)', async () => {
      const res = await machine({ client_secret: `${SECRET.machine}x` });
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
    });
  });

  describe('RFC 6749 §3.3 scope allowed for the client', () => {
    it.each([
      ['beyond the registration', 'mcp:read mcp:admin'],
      ['unknown to the server', 'mcp:read nonsense'],
      ['needing a user (openid)', 'openid'],
      ['needing a user (offline_access)', 'mcp:read offline_access'],
      ['malformed', 'mcp:read\\x'],
    ])('refuses a scope %s (invalid_scope)', async (_name, scope) => {
      const res = await machine({ scope });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_scope');
    });
  });

  describe('RFC 8707 §2 resource indicators', () => {
    it('puts several resources in aud', async () => {
      const res = await machine({ scope: 'mcp:read', resource: [MCP_RESOURCE, 'https://files.example/api'] });
      expect(accessTokenClaims(res.body.access_token).aud).toEqual([MCP_RESOURCE, 'https://files.example/api']);
    });

    it.each([
      ['relative', '/mcp'],
      ['with a fragment', 'https://mcp.example/mcp#frag'],
      ['plain http off loopback', 'http://mcp.example/mcp'],
    ])('refuses a resource %s (invalid_target)', async (_name, resource) => {
      const res = await machine({ scope: 'mcp:read', resource });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_target');
    });
  });

  describe('RFC 9396 §5 authorization_details', () => {
    it('refuses a type the server does not know', async () => {
      const res = await machine({ authorization_details: JSON.stringify([{ type: 'unknown_type' }]) });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_authorization_details');
    });
  });
});

describe('RFC 9396 §7 authorization_details with client credentials', () => {
  let server: TokenServer;
  beforeAll(async () => {
    server = await startTokenServer({ authorizationDetailsTypes: [{ type: 'mcp_tool_call', fields: ['tool'], required: ['tool'] }] });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('copies validated details into the response and the token', async () => {
    const details = [{ type: 'mcp_tool_call', tool: 'search', actions: ['call'] }];
    const res = await postForm(server.tokenUrl, { grant_type: 'client_credentials', client_id: 'machine', client_secret: SECRET.machine, authorization_details: JSON.stringify(details) });
    expect(res.status).toBe(200);
    expect(res.body.authorization_details).toEqual(details);
    expect(accessTokenClaims(res.body.access_token).authorization_details).toEqual(details);
  });
});
