/**
 * The refresh token grant through a real server: rotation for every client, reuse revoking the
 * whole grant family, narrowing, client binding, expiry and revocation. Run on both backends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessTokenClaims,
  auditEvents,
  createCode,
  exchangeCode,
  expectNoSecretsInAudit,
  introspect,
  MCP_RESOURCE,
  OTHER_RESOURCE,
  refresh,
  SECRET,
  startTokenServer,
  type TokenServer,
} from '../token/fixtures.ts';

describe.each(['sqlite', 'postgres'] as const)('refresh_token grant (%s)', (backend) => {
  let server: TokenServer;
  beforeAll(async () => {
    server = await startTokenServer({}, backend);
  });
  afterAll(async () => {
    await server?.close();
  });

  /** A fresh grant: code exchanged, returns the token response. */
  async function login(o: { scope?: string; resources?: string[] } = {}) {
    const issued = await createCode(server.ctx, { clientId: 'web-app', userId: server.alice.id, ...o });
    const res = await exchangeCode(server, issued);
    expect(res.status).toBe(200);
    return { ...res.body, grantId: issued.grantId } as { access_token: string; refresh_token: string; grantId: string };
  }

  describe('OAuth 2.1 §4.3.1 refresh token rotation (CL-2)', () => {
    it('returns a new refresh token and kills the old one at once', async () => {
      const first = await login();
      const second = await refresh(server, first.refresh_token);
      expect(second.status).toBe(200);
      expect(second.headers.get('cache-control')).toBe('no-store');
      expect(second.body.refresh_token).toEqual(expect.any(String));
      expect(second.body.refresh_token).not.toBe(first.refresh_token);
      expect(second.body.token_type).toBe('Bearer');
      expect((await introspect(server, first.refresh_token, {}, { basic: ['web-app', SECRET.web] })).body).toEqual({ active: false });
      expect((await introspect(server, second.body.refresh_token, {}, { basic: ['web-app', SECRET.web] })).body.active).toBe(true);
      // The chain goes on: the successor works once more.
      const third = await refresh(server, second.body.refresh_token);
      expect(third.status).toBe(200);
    });

    it('carries the user, authentication time and acr into the new access token and ID token', async () => {
      const first = await login();
      const firstClaims = accessTokenClaims(first.access_token);
      const res = await refresh(server, first.refresh_token);
      const claims = accessTokenClaims(res.body.access_token);
      expect(claims).toMatchObject({ sub: server.alice.id, client_id: 'web-app', aud: MCP_RESOURCE, auth_time: firstClaims.auth_time, acr: 'urn:mandate:acr:mfa' });
      expect(claims.jti).not.toBe(firstClaims.jti);
      const idToken = accessTokenClaims(res.body.id_token);
      expect(idToken).toMatchObject({ sub: server.alice.id, aud: 'web-app', auth_time: firstClaims.auth_time });
      expect(idToken.nonce).toBeUndefined();
    });

    it('audits the refresh with both refresh token ids and nothing secret', async () => {
      const first = await login();
      const res = await refresh(server, first.refresh_token, { scope: 'mcp:read' });
      const jti = accessTokenClaims(res.body.access_token).jti;
      const event = (await auditEvents(server, 'token_refreshed')).find((e) => e.data?.jti === jti);
      expect(event).toMatchObject({ clientId: 'web-app', userId: server.alice.id, requestedScope: 'mcp:read', grantedScope: 'mcp:read', resource: MCP_RESOURCE, result: 'success' });
      expect(event?.data).toMatchObject({ grant_type: 'refresh_token', grant_id: first.grantId, previous_refresh_token_id: expect.any(String), refresh_token_id: expect.any(String) });
      await expectNoSecretsInAudit(server, [first.refresh_token, res.body.refresh_token, res.body.access_token]);
    });
  });

  describe('RFC 9700 §4.14.2 refresh token reuse revokes the grant family', () => {
    it('refuses a rotated token and revokes the successor and every access token of the grant', async () => {
      const first = await login();
      const second = await refresh(server, first.refresh_token);
      expect(second.status).toBe(200);

      const replay = await refresh(server, first.refresh_token);
      expect(replay.status).toBe(400);
      expect(replay.body.error).toBe('invalid_grant');

      // The thief's or the client's successor is dead, and so are the access tokens of both steps.
      const afterReuse = await refresh(server, second.body.refresh_token);
      expect(afterReuse.body.error).toBe('invalid_grant');
      expect((await introspect(server, first.access_token)).body).toEqual({ active: false });
      expect((await introspect(server, second.body.access_token)).body).toEqual({ active: false });
      expect((await server.ctx.storage.grants.get(first.grantId))?.revokedReason).toBe('refresh_token_reuse');
      const audit = (await auditEvents(server, 'refresh_token_reuse')).filter((e) => e.data?.grant_id === first.grantId);
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ result: 'failure', clientId: 'web-app', userId: server.alice.id });
      expect(audit[0]?.data?.revoked_grants).toEqual([first.grantId]);
    });

    it('lets exactly one of two concurrent refreshes with the same token win', async () => {
      const first = await login();
      const results = await Promise.all([refresh(server, first.refresh_token), refresh(server, first.refresh_token)]);
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 400]);
      // The loser is reuse: the winner's tokens are revoked with the family.
      const winner = results.find((r) => r.status === 200)!;
      expect((await introspect(server, winner.body.access_token)).body.active).toBe(false);
    });
  });

  describe('RFC 6749 §6 scope narrowing on refresh', () => {
    it('narrows the access token but keeps the original scope for the next refresh', async () => {
      const first = await login({ scope: 'openid mcp:read mcp:write' });
      const narrow = await refresh(server, first.refresh_token, { scope: 'mcp:read' });
      expect(narrow.status).toBe(200);
      expect(narrow.body.scope).toBe('mcp:read');
      expect(narrow.body.id_token).toBeUndefined();
      expect(accessTokenClaims(narrow.body.access_token).scope).toBe('mcp:read');
      const full = await refresh(server, narrow.body.refresh_token);
      expect(full.body.scope).toBe('openid mcp:read mcp:write');
    });

    it('refuses a scope broader than the original grant (invalid_scope) without burning the token', async () => {
      const first = await login({ scope: 'openid mcp:read' });
      const wide = await refresh(server, first.refresh_token, { scope: 'mcp:read mcp:admin' });
      expect(wide.status).toBe(400);
      expect(wide.body.error).toBe('invalid_scope');
      expect((await refresh(server, first.refresh_token)).status).toBe(200);
    });

    it('refuses a malformed scope', async () => {
      const first = await login();
      const res = await refresh(server, first.refresh_token, { scope: 'mcp:read "quoted"' });
      expect(res.body.error).toBe('invalid_scope');
    });
  });

  describe('RFC 8707 §2.2 resource narrowing on refresh', () => {
    it('issues a token for one of the granted resources and refuses others', async () => {
      const first = await login({ resources: [MCP_RESOURCE, OTHER_RESOURCE] });
      const one = await refresh(server, first.refresh_token, { resource: OTHER_RESOURCE });
      expect(accessTokenClaims(one.body.access_token).aud).toBe(OTHER_RESOURCE);
      const bad = await refresh(server, one.body.refresh_token, { resource: 'https://elsewhere.example/' });
      expect(bad.status).toBe(400);
      expect(bad.body.error).toBe('invalid_target');
    });
  });

  describe('RFC 6749 §6 the refresh token belongs to its client', () => {
    it('refuses another client’s refresh token', async () => {
      const first = await login();
      const res = await refresh(server, first.refresh_token, { client_id: 'other-app', client_secret: SECRET.other }, {});
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
    });

    it('refuses an unknown refresh token', async () => {
      const res = await refresh(server, 'bm90LWEtcmVmcmVzaC10b2tlbg');
      expect(res.body).toMatchObject({ error: 'invalid_grant' });
    });

    it('requires the refresh_token parameter', async () => {
      const res = await refresh(server, '');
      expect(res.body.error).toBe('invalid_request');
    });

    it('refuses an expired refresh token', async () => {
      const first = await login();
      server.shiftClock(server.ctx.config.ttl.refreshToken + 1);
      try {
        const res = await refresh(server, first.refresh_token);
        expect(res.body).toMatchObject({ error: 'invalid_grant', error_description: 'The refresh token has expired.' });
      } finally {
        server.shiftClock(0);
      }
    });

    it('refuses a refresh token whose grant was revoked (consent withdrawn)', async () => {
      const first = await login();
      await server.ctx.storage.grants.revokeTree(first.grantId, server.ctx.now(), 'consent_revoked');
      const res = await refresh(server, first.refresh_token);
      expect(res.body.error).toBe('invalid_grant');
    });

    it('refuses a refresh token of a disabled user', async () => {
      const first = await login();
      await server.ctx.storage.users.update({ ...server.alice, disabled: true });
      try {
        const res = await refresh(server, first.refresh_token);
        expect(res.body.error).toBe('invalid_grant');
      } finally {
        await server.ctx.storage.users.update(server.alice);
      }
    });
  });
});
