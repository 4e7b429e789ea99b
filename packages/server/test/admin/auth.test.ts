import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, generateKeyPair } from 'jose';
import type { TestServer } from '../helpers/test-server.ts';
import { ADMIN_CLI, admin, mintToken, PLAIN_SERVICE, startAdminServer } from './support.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startAdminServer();
});
afterAll(() => s.close());

describe('RFC 6750 §3.1 admin API access tokens', () => {
  it('answers 401 with a bare Bearer challenge when no token is sent', async () => {
    const res = await admin(s, null, 'GET', '/clients');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="mandate-admin"');
    expect(res.json.error).toBe('invalid_token');
  });

  it('answers 401 invalid_token for garbage, foreign signatures, wrong audience, expiry and revocation', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const foreign = await new SignJWT({ scope: 'mandate:admin', jti: 'x', client_id: ADMIN_CLI.id })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' })
      .setIssuer(s.issuer)
      .setAudience(s.issuer)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    const wrongAudience = (await mintToken(s, { audience: ['https://mcp.example/mcp'] })).token;
    const revoked = await mintToken(s);
    await s.server.ctx.storage.accessTokens.revoke(revoked.jti, s.server.ctx.now());
    const now = s.server.ctx.now();
    const expired = await s.server.ctx.keys.sign({ sub: ADMIN_CLI.id, aud: s.issuer, client_id: ADMIN_CLI.id, scope: 'mandate:admin', jti: 'expired-1', iat: now - 120, exp: now - 60 }, { typ: 'at+jwt' });
    await s.server.ctx.storage.accessTokens.create({ jti: 'expired-1', grantId: null, clientId: ADMIN_CLI.id, userId: null, scope: 'mandate:admin', expiresAt: now - 60, createdAt: now - 120, revokedAt: null });
    for (const token of ['garbage', foreign, wrongAudience, revoked.token, expired]) {
      const res = await admin(s, token, 'GET', '/clients');
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
    const dpop = await fetch(`${s.issuer}/admin/v1/clients`, { headers: { authorization: `DPoP ${(await mintToken(s)).token}` } });
    expect(dpop.status).toBe(401);
  });

  it('refuses an ID token or any JWT without typ at+jwt', async () => {
    const idToken = await s.server.ctx.keys.sign({ sub: ADMIN_CLI.id, aud: s.issuer, scope: 'mandate:admin', jti: 'id1', iat: s.server.ctx.now(), exp: s.server.ctx.now() + 60 }, { typ: 'JWT' });
    expect((await admin(s, idToken, 'GET', '/clients')).status).toBe(401);
  });

  it('accepts tokens whose audience is the issuer or the admin API URL', async () => {
    expect((await admin(s, (await mintToken(s)).token, 'GET', '/clients')).status).toBe(200);
    expect((await admin(s, (await mintToken(s, { audience: [`${s.issuer}/admin/v1`] })).token, 'GET', '/clients')).status).toBe(200);
  });

  it('answers 403 insufficient_scope without mandate:admin, and audits the refusal', async () => {
    const { token } = await mintToken(s, { clientId: PLAIN_SERVICE.id, scope: 'reports:read' });
    const res = await admin(s, token, 'GET', '/users');
    expect(res.status).toBe(403);
    expect(res.json.error).toBe('insufficient_scope');
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope", scope="mandate:admin"');
    const denied = await s.server.ctx.storage.audit.list({ event: 'admin.denied' });
    expect(denied.at(-1)).toMatchObject({ clientId: PLAIN_SERVICE.id, result: 'failure' });
  });

  it('answers 403 when a service token carries the scope but its client is not registered with it', async () => {
    const { token } = await mintToken(s, { clientId: PLAIN_SERVICE.id, scope: 'mandate:admin' });
    expect((await admin(s, token, 'GET', '/users')).status).toBe(403);
  });

  it('checks that a user token belongs to an enabled administrator', async () => {
    const created = await admin(s, (await mintToken(s)).token, 'POST', '/users', { email: 'op@example.com', name: 'Op', password: 'correct horse battery', is_admin: false });
    // A registered client: a token on no grant lives only while its client is registered (endpoints/token-state.ts).
    const userToken = (await mintToken(s, { clientId: PLAIN_SERVICE.id, userId: created.json.id })).token;
    expect((await admin(s, userToken, 'GET', '/users')).status).toBe(403);
    const user = (await s.server.ctx.storage.users.get(created.json.id))!;
    await s.server.ctx.storage.users.update({ ...user, isAdmin: true });
    expect((await admin(s, userToken, 'GET', '/users')).status).toBe(200);
    await s.server.ctx.storage.users.update({ ...user, isAdmin: true, disabled: true });
    expect((await admin(s, userToken, 'GET', '/users')).status).toBe(401);
  });

  it.each(['dcr', 'cimd'] as const)('refuses (403) a service token of a self-registered (%s) client even when registered with mandate:admin', async (source) => {
    const base = (await s.server.ctx.storage.clients.get(ADMIN_CLI.id))!;
    const clientId = `self-registered-${source}`;
    await s.server.ctx.storage.clients.create({ ...base, clientId, source, scope: 'mandate:admin' });
    const { token } = await mintToken(s, { clientId, scope: 'mandate:admin' });
    const res = await admin(s, token, 'GET', '/users');
    expect(res.status).toBe(403);
    expect(res.json.error).toBe('insufficient_scope');
    expect(res.json.error_description).toContain('Self-registered clients');
    const denied = await s.server.ctx.storage.audit.list({ event: 'admin.denied' });
    expect(denied.at(-1)).toMatchObject({ clientId, result: 'failure' });
  });

  it('accepts a token obtained from the real token endpoint with client_credentials', async () => {
    const res = await fetch(`${s.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${ADMIN_CLI.id}:${ADMIN_CLI.secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'mandate:admin' }),
    });
    expect(res.status).toBe(200);
    const { access_token: token } = (await res.json()) as { access_token: string };
    expect((await admin(s, token, 'GET', '/keys')).status).toBe(200);
  });
});
