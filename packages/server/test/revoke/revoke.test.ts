/**
 * Token revocation (RFC 7009) through a real server: a client revokes its own tokens; a refresh
 * token takes its grant and every access token of the grant with it; unknown tokens are a success.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  accessTokenClaims,
  auditEvents,
  createCode,
  exchangeCode,
  expectNoSecretsInAudit,
  introspect,
  postForm,
  refresh,
  SECRET,
  startTokenServer,
  webAuth,
  type Form,
  type PostOptions,
  type TokenServer,
} from '../token/fixtures.ts';

describe('RFC 7009 token revocation', () => {
  let server: TokenServer;
  beforeAll(async () => {
    server = await startTokenServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  const revoke = async (form: Form, options: PostOptions = webAuth) => {
    const res = await fetch(`${server.issuer}/revoke`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(options.basic ? { authorization: `Basic ${Buffer.from(`${options.basic[0]}:${options.basic[1]}`).toString('base64')}` } : {}),
      },
      body: new URLSearchParams(Object.entries(form).filter((e): e is [string, string] => typeof e[1] === 'string')),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
  };

  /** Undoes failNextAudit if no transaction used it (afterEach), so no test leaks into the next. */
  let restoreAudit: (() => void) | null = null;
  afterEach(() => restoreAudit?.());

  /** Makes the audit append of the next storage transaction fail (AU-1 store down), once. */
  function failNextAudit(): void {
    const storage = server.ctx.storage;
    const transaction = storage.transaction.bind(storage);
    restoreAudit = () => {
      storage.transaction = transaction;
      restoreAudit = null;
    };
    storage.transaction = (inner) => {
      restoreAudit?.();
      return transaction((tx) => {
        tx.audit.append = () => Promise.reject(new Error('audit store down'));
        return inner(tx);
      });
    };
  }

  /** RFC 6749 §5.2 server_error from the error middleware: no stack, no internals. */
  const serverError = { error: 'server_error', error_description: 'An unexpected error occurred.' };

  async function login(clientId = 'web-app') {
    const issued = await createCode(server.ctx, { clientId, userId: server.alice.id });
    const res = await exchangeCode(server, issued, clientId === 'public-app' ? { client_id: 'public-app' } : {}, clientId === 'public-app' ? {} : webAuth);
    expect(res.status).toBe(200);
    return { ...(res.body as { access_token: string; refresh_token: string }), grantId: issued.grantId };
  }

  describe('RFC 7009 §2.1 revoking a refresh token revokes its grant and access tokens', () => {
    it('answers 200 and kills the refresh token, its successor chain and every access token of the grant', async () => {
      const first = await login();
      const second = await refresh(server, first.refresh_token);
      const res = await revoke({ token: second.body.refresh_token, token_type_hint: 'refresh_token' });
      expect(res.status).toBe(200);
      expect(res.text).toBe('');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect((await introspect(server, first.access_token)).body).toEqual({ active: false });
      expect((await introspect(server, second.body.access_token)).body).toEqual({ active: false });
      expect((await refresh(server, second.body.refresh_token)).body.error).toBe('invalid_grant');
      expect((await server.ctx.storage.grants.get(first.grantId))?.revokedReason).toBe('revoked_by_client');
      const event = (await auditEvents(server, 'token_revoked')).find((e) => e.data?.grant_id === first.grantId);
      expect(event).toMatchObject({ clientId: 'web-app', userId: server.alice.id, result: 'success' });
      await expectNoSecretsInAudit(server, [second.body.refresh_token, first.refresh_token]);
    });

    it('lets a public client revoke its own refresh token with its client_id', async () => {
      const tokens = await login('public-app');
      const res = await revoke({ token: tokens.refresh_token, client_id: 'public-app' }, {});
      expect(res.status).toBe(200);
      expect((await introspect(server, tokens.access_token)).body.active).toBe(false);
    });
  });

  describe('RFC 7009 §2.1 revoking an access token', () => {
    it('revokes that token only', async () => {
      const tokens = await login();
      const res = await revoke({ token: tokens.access_token, token_type_hint: 'access_token' });
      expect(res.status).toBe(200);
      expect((await introspect(server, tokens.access_token)).body).toEqual({ active: false });
      expect((await refresh(server, tokens.refresh_token)).status).toBe(200);
      const jti = accessTokenClaims(tokens.access_token).jti;
      expect((await auditEvents(server, 'token_revoked')).some((e) => e.data?.jti === jti)).toBe(true);
    });

    it('finds the token whatever the hint says', async () => {
      const tokens = await login();
      expect((await revoke({ token: tokens.access_token, token_type_hint: 'refresh_token' })).status).toBe(200);
      expect((await introspect(server, tokens.access_token)).body.active).toBe(false);
    });

    it('revokes a client credentials token', async () => {
      const cc = await postForm(server.tokenUrl, { grant_type: 'client_credentials', client_id: 'machine', client_secret: SECRET.machine });
      const res = await postForm(`${server.issuer}/revoke`, { token: cc.body.access_token, client_id: 'machine', client_secret: SECRET.machine });
      expect(res.status).toBe(200);
      expect((await introspect(server, cc.body.access_token)).body.active).toBe(false);
    });
  });

  describe('AU-1 a revocation and its audit event commit together', () => {
    it('refresh token: a failed audit append rolls the grant revocation back; the retry revokes', async () => {
      const tokens = await login();
      failNextAudit();
      const failed = await revoke({ token: tokens.refresh_token });
      expect(failed.status).toBe(500);
      expect(failed.body).toEqual(serverError);
      expect((await server.ctx.storage.grants.get(tokens.grantId))?.revokedAt).toBeNull();
      expect((await introspect(server, tokens.access_token)).body.active).toBe(true);
      const next = await refresh(server, tokens.refresh_token);
      expect(next.status).toBe(200);

      expect((await revoke({ token: next.body.refresh_token })).status).toBe(200);
      expect((await introspect(server, next.body.access_token)).body.active).toBe(false);
      expect((await auditEvents(server, 'token_revoked')).filter((e) => e.data?.grant_id === tokens.grantId)).toHaveLength(1);
    });

    it('access token: a failed audit append leaves it active; the retry revokes it once, audited once', async () => {
      const tokens = await login();
      const jti = accessTokenClaims(tokens.access_token).jti;
      failNextAudit();
      const failed = await revoke({ token: tokens.access_token });
      expect(failed.status).toBe(500);
      expect(failed.body).toEqual(serverError);
      expect((await introspect(server, tokens.access_token)).body.active).toBe(true);

      expect((await revoke({ token: tokens.access_token })).status).toBe(200);
      expect((await introspect(server, tokens.access_token)).body.active).toBe(false);
      expect((await auditEvents(server, 'token_revoked')).filter((e) => e.data?.jti === jti)).toHaveLength(1);
    });

    it('refresh token reuse (RFC 9700 §4.14.2): a failed audit append keeps the family; the next reuse revokes it', async () => {
      const first = await login();
      const second = await refresh(server, first.refresh_token);
      expect(second.status).toBe(200);
      failNextAudit();
      const failed = await refresh(server, first.refresh_token);
      expect(failed.status).toBe(500);
      expect(failed.body).toEqual(serverError);
      expect((await server.ctx.storage.grants.get(first.grantId))?.revokedAt).toBeNull();
      expect((await introspect(server, second.body.access_token)).body.active).toBe(true);

      expect((await refresh(server, first.refresh_token)).body.error).toBe('invalid_grant');
      expect((await server.ctx.storage.grants.get(first.grantId))?.revokedReason).toBe('refresh_token_reuse');
      expect((await introspect(server, second.body.access_token)).body.active).toBe(false);
      expect((await auditEvents(server, 'refresh_token_reuse')).filter((e) => e.data?.grant_id === first.grantId)).toHaveLength(1);
    });

    it('authorization code reuse (RFC 9700 §4.5): a failed audit append keeps the grant; the next replay revokes it', async () => {
      const issued = await createCode(server.ctx, { clientId: 'web-app', userId: server.alice.id });
      const first = await exchangeCode(server, issued, {}, webAuth);
      expect(first.status).toBe(200);
      const access = (first.body as { access_token: string }).access_token;
      failNextAudit();
      const failed = await exchangeCode(server, issued, {}, webAuth);
      expect(failed.status).toBe(500);
      expect(failed.body).toEqual(serverError);
      expect((await server.ctx.storage.grants.get(issued.grantId))?.revokedAt).toBeNull();
      expect((await introspect(server, access)).body.active).toBe(true);

      expect((await exchangeCode(server, issued, {}, webAuth)).body.error).toBe('invalid_grant');
      expect((await server.ctx.storage.grants.get(issued.grantId))?.revokedAt).not.toBeNull();
      expect((await introspect(server, access)).body.active).toBe(false);
    });
  });

  describe('RFC 7009 §2.2 invalid tokens are not an error', () => {
    it.each([
      ['an unknown opaque token', 'unknown-token-value'],
      ['a garbage JWT', 'eyJhbGciOiJFUzI1NiJ9.eyJqdGkiOiJ4In0.c2ln'],
      ['an unknown hint', 'whatever'],
    ])('answers 200 for %s', async (_name, token) => {
      const res = await revoke({ token, token_type_hint: 'id_token' });
      expect(res.status).toBe(200);
    });

    it('answers 200 for an already revoked token', async () => {
      const tokens = await login();
      expect((await revoke({ token: tokens.refresh_token })).status).toBe(200);
      expect((await revoke({ token: tokens.refresh_token })).status).toBe(200);
    });
  });

  describe('RFC 7009 §2.1 only the token’s own client may revoke it', () => {
    it('refuses another client’s refresh token and leaves it alive', async () => {
      const tokens = await login();
      const res = await revoke({ token: tokens.refresh_token, client_id: 'other-app', client_secret: SECRET.other }, {});
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('unauthorized_client');
      expect((await introspect(server, tokens.access_token)).body.active).toBe(true);
    });

    it('refuses another client’s access token', async () => {
      const tokens = await login();
      const res = await revoke({ token: tokens.access_token }, { basic: ['resource-server', SECRET.rs] });
      expect(res.body.error).toBe('unauthorized_client');
      expect((await introspect(server, tokens.access_token)).body.active).toBe(true);
    });

    it('refuses an unauthenticated request', async () => {
      const tokens = await login();
      const res = await revoke({ token: tokens.refresh_token }, {});
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
    });

    it('requires the token parameter', async () => {
      const res = await revoke({});
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    });
  });
});
