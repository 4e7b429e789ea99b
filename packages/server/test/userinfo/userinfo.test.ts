/**
 * The UserInfo endpoint (OIDC Core §5.3) through a real server: Bearer and DPoP access tokens,
 * the openid scope, claims per scope, and RFC 6750 §3 / RFC 9449 §7 error challenges.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCode,
  exchangeCode,
  MCP_RESOURCE,
  postForm,
  proofKey,
  SECRET,
  signProof,
  startTokenServer,
  tokenProof,
  type ProofKey,
  type TokenServer,
} from '../token/fixtures.ts';
import { accessTokenHash } from '../../src/dpop/index.ts';

describe('OIDC Core §5.3 UserInfo endpoint', () => {
  let server: TokenServer;
  let key: ProofKey;
  beforeAll(async () => {
    server = await startTokenServer();
    key = await proofKey();
  });
  afterAll(async () => {
    await server?.close();
  });

  const url = () => `${server.issuer}/userinfo`;
  const call = async (init: RequestInit & { headers?: Record<string, string> } = {}, target = url()) => {
    const res = await fetch(target, init);
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
  };
  const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

  /**
   * A token for userinfo: no resource indicator, so its audience is the issuer (RFC 9068 §4: userinfo
   * refuses tokens for other resources). `resources`/`form` shape the grant and the token request.
   */
  async function tokenFor(scope: string, options: { dpop?: boolean; resources?: string[]; form?: Record<string, string | string[]> } = {}): Promise<string> {
    const issued = await createCode(server.ctx, { clientId: 'web-app', userId: server.alice.id, scope, resources: options.resources ?? [] });
    const res = await exchangeCode(server, issued, options.form ?? {}, { basic: ['web-app', SECRET.web], ...(options.dpop ? { dpop: await tokenProof(server, key) } : {}) });
    expect(res.status).toBe(200);
    return res.body.access_token as string;
  }

  describe('OIDC Core §5.3.2 successful response', () => {
    it('returns the claims the scope releases (GET, Bearer)', async () => {
      const res = await call(bearer(await tokenFor('openid profile email')));
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body).toEqual({ sub: server.alice.id, name: 'Alice Example', updated_at: server.alice.updatedAt, email: 'alice@example.com', email_verified: false });
    });

    it('returns only sub with openid alone (POST without a body)', async () => {
      const res = await call({ method: 'POST', ...bearer(await tokenFor('openid')) });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ sub: server.alice.id });
    });

    it('accepts a POST with a form body', async () => {
      const token = await tokenFor('openid email');
      const res = await call({ method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'x=1' });
      expect(res.body).toEqual({ sub: server.alice.id, email: 'alice@example.com', email_verified: false });
    });
  });

  describe('RFC 9068 §4 / RFC 8707: the audience must include the issuer (TOK-2)', () => {
    it('answers 401 invalid_token with a Bearer challenge to a token for another resource only', async () => {
      const token = await tokenFor('openid email', { resources: [MCP_RESOURCE] });
      const res = await call(bearer(token));
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_token');
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="[^"]+", error="invalid_token", error_description="[^"]+"$/);
    });

    it('accepts a token whose audience lists the issuer beside another resource, and one narrowed to the issuer', async () => {
      const both = await tokenFor('openid email', { resources: [MCP_RESOURCE, server.issuer] });
      expect((await call(bearer(both))).status).toBe(200);
      const narrowed = await tokenFor('openid email', { resources: [MCP_RESOURCE, server.issuer], form: { resource: server.issuer } });
      expect((await call(bearer(narrowed))).status).toBe(200);
    });
  });

  describe('OIDC Core §5.3.1 / RFC 6750 §3.1 insufficient_scope without openid', () => {
    it('answers 403 insufficient_scope with a challenge naming openid', async () => {
      const res = await call(bearer(await tokenFor('mcp:read')));
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('insufficient_scope');
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="[^"]+", error="insufficient_scope", error_description="[^"]+", scope="openid"$/);
    });

    it('refuses a client credentials token (no user, no openid)', async () => {
      const cc = await postForm(server.tokenUrl, { grant_type: 'client_credentials', client_id: 'machine', client_secret: SECRET.machine });
      const res = await call(bearer(cc.body.access_token));
      expect(res.status).toBe(403);
    });
  });

  describe('RFC 6750 §3.1 invalid or missing tokens', () => {
    it('answers 401 with Bearer and DPoP challenges and no error code when no token is sent', async () => {
      const res = await call();
      expect(res.status).toBe(401);
      const challenge = res.headers.get('www-authenticate') ?? '';
      expect(challenge).toMatch(/Bearer realm="/);
      expect(challenge).toMatch(/DPoP realm="[^"]+", algs="/);
      expect(challenge).not.toMatch(/error=/);
    });

    it('answers 401 invalid_token for a garbage, revoked or expired token', async () => {
      const garbage = await call(bearer('abc.def.ghi'));
      expect(garbage.status).toBe(401);
      expect(garbage.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);

      const token = await tokenFor('openid');
      const jti = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).jti as string;
      await server.ctx.storage.accessTokens.revoke(jti, server.ctx.now());
      expect((await call(bearer(token))).status).toBe(401);

      const later = await tokenFor('openid');
      server.shiftClock(server.ctx.config.ttl.accessToken + 1);
      try {
        expect((await call(bearer(later))).body.error).toBe('invalid_token');
      } finally {
        server.shiftClock(0);
      }
    });

    it('refuses an ID token used as an access token', async () => {
      const issued = await createCode(server.ctx, { clientId: 'web-app', userId: server.alice.id, scope: 'openid' });
      const res = await exchangeCode(server, issued);
      expect((await call(bearer(res.body.id_token))).body.error).toBe('invalid_token');
    });

    it('refuses a token in the query string or the body (400 invalid_request, TOK-1)', async () => {
      const token = await tokenFor('openid');
      const query = await call({}, `${url()}?access_token=${token}`);
      expect(query.status).toBe(400);
      expect(query.body.error).toBe('invalid_request');
      const body = await call({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `access_token=${token}` });
      expect(body.status).toBe(400);
    });

    it('refuses a malformed Authorization header', async () => {
      const res = await call({ headers: { authorization: 'Bearer a b' } });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    });
  });

  describe('RFC 9449 §7 DPoP-bound access tokens', () => {
    const resourceProof = (token: string, htm = 'GET', proofKeyToUse = key) =>
      signProof(proofKeyToUse, { htm, htu: url(), claims: { ath: accessTokenHash(token) } });

    it('accepts the DPoP scheme with a proof of the bound key', async () => {
      const token = await tokenFor('openid', { dpop: true });
      const res = await call({ headers: { authorization: `DPoP ${token}`, dpop: await resourceProof(token) } });
      expect(res.status).toBe(200);
      expect(res.body.sub).toBe(server.alice.id);
    });

    it('refuses a DPoP-bound token sent as Bearer (§7.2)', async () => {
      const token = await tokenFor('openid', { dpop: true });
      const res = await call(bearer(token));
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_token');
    });

    it('refuses a missing proof and a proof of another key with a DPoP challenge', async () => {
      const token = await tokenFor('openid', { dpop: true });
      const missing = await call({ headers: { authorization: `DPoP ${token}` } });
      expect(missing.status).toBe(401);
      expect(missing.body.error).toBe('invalid_dpop_proof');
      expect(missing.headers.get('www-authenticate')).toMatch(/^DPoP realm="[^"]+", algs="[^"]+", error="invalid_dpop_proof"/);
      const other = await call({ headers: { authorization: `DPoP ${token}`, dpop: await resourceProof(token, 'GET', await proofKey()) } });
      expect(other.status).toBe(401);
      expect(other.body.error).toBe('invalid_token');
    });

    it('refuses a proof for another method', async () => {
      const token = await tokenFor('openid', { dpop: true });
      const res = await call({ method: 'POST', headers: { authorization: `DPoP ${token}`, dpop: await resourceProof(token, 'GET') } });
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_dpop_proof');
    });

    it('refuses an unbound token sent with the DPoP scheme', async () => {
      const token = await tokenFor('openid');
      const res = await call({ headers: { authorization: `DPoP ${token}`, dpop: await resourceProof(token) } });
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_token');
    });
  });
});
