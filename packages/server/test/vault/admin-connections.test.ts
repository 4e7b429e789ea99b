/**
 * Admin API for vault connections (issue 5): validated by the route schemas, the client secret
 * write-only and sealed, and a delete that unlinks every account with revocation at the real
 * provider on loopback.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TestServer } from '../helpers/test-server.ts';
import { admin, mintToken, startAdminServer } from '../admin/support.ts';
import { CLIENT_ID, CLIENT_SECRET } from './support/third-party-provider.ts';
import { startCaptureServer } from './support/capture-server.ts';
import { linkThroughProvider, userinfo, useThirdPartyProvider } from './support/vault-fixture.ts';

const tp = useThirdPartyProvider();
let s: TestServer;
let token: string;
beforeAll(async () => {
  // The provider is on loopback: a development allowance of the vault's SSRF guard.
  s = await startAdminServer({ federation: { devAllowedHosts: [tp.provider.hostPort] } });
  token = (await mintToken(s)).token;
});
afterAll(() => s.close());

const call = (method: string, path: string, body?: unknown) => admin(s, token, method, path, body);

describe('Admin API: vault connections', () => {

  const oauthBody = () => ({
    id: 'tp',
    display_name: 'Third party',
    kind: 'oauth',
    provider: {
      authorization_endpoint: `${tp.provider.issuer}/auth`,
      token_endpoint: `${tp.provider.issuer}/token`,
      revocation_endpoint: `${tp.provider.issuer}/token/revocation`,
      client_id: CLIENT_ID,
      scopes: ['openid', 'offline_access', 'repo'],
    },
    client_secret: CLIENT_SECRET,
  });

  it('creates, reads, lists and updates connections; the client secret is never returned nor stored in the clear', async () => {
    const created = await call('POST', '/vault/connections', oauthBody());
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ id: 'tp', kind: 'oauth', has_client_secret: true, provider: { token_endpoint_auth_method: 'client_secret_basic', client_id: CLIENT_ID } });
    expect(JSON.stringify(created.json)).not.toContain(CLIENT_SECRET);
    // What the admin registers at the provider: this connection's own callback (RFC 9700 §4.4.2).
    expect(created.json.provider.redirect_uri).toBe(`${s.issuer}/account/vault/callback/tp`);
    expect(JSON.stringify(await s.server.ctx.storage.vault.connections.get('tp'))).not.toContain(CLIENT_SECRET);
    const stat = await call('POST', '/vault/connections', { id: 'openai', display_name: 'OpenAI', kind: 'static' });
    expect(stat.json).toMatchObject({ kind: 'static', provider: null, has_client_secret: false });
    expect((await call('GET', '/vault/connections/tp')).json).toEqual(created.json);
    expect((await call('GET', '/vault/connections')).json.items.map((c: { id: string }) => c.id).sort()).toEqual(['openai', 'tp']);
    // null removes the secret; client_secret_basic would then authenticate with nothing, so the client becomes public (none) with it.
    const renamed = await call('PUT', '/vault/connections/tp', { display_name: 'TP', client_secret: null, provider: { ...oauthBody().provider, token_endpoint_auth_method: 'none' } });
    expect(renamed.json).toMatchObject({ display_name: 'TP', has_client_secret: false, provider: { ...created.json.provider, token_endpoint_auth_method: 'none' } });
    const restored = await call('PUT', '/vault/connections/tp', { client_secret: CLIENT_SECRET, provider: oauthBody().provider });
    expect(restored.json.has_client_secret).toBe(true);
    expect(restored.json.provider).toEqual(created.json.provider);
    expect((await call('GET', '/vault/connections/none')).status).toBe(404);
    expect((await call('PUT', '/vault/connections/none', { display_name: 'x' })).status).toBe(404);
  });

  it("RFC 9207: the provider's issuer and authorization_response_iss_parameter_supported are saved, shown, and checked when saved", async () => {
    const body = { ...oauthBody(), id: 'tpiss', provider: { ...oauthBody().provider, issuer: tp.provider.issuer, authorization_response_iss_parameter_supported: true } };
    const created = await call('POST', '/vault/connections', body);
    expect(created.status).toBe(201);
    expect(created.json.provider).toMatchObject({ issuer: tp.provider.issuer, authorization_response_iss_parameter_supported: true });
    expect((await s.server.ctx.storage.vault.connections.get('tpiss'))?.provider).toMatchObject({ issuer: tp.provider.issuer, authorizationResponseIssParameterSupported: true });
    // A connection saved without them shows them unset.
    const plain = await call('POST', '/vault/connections', { ...oauthBody(), id: 'tpnoiss' });
    expect(plain.json.provider).toMatchObject({ issuer: null, authorization_response_iss_parameter_supported: false });
    // Requiring iss with no issuer to compare it with would refuse every link.
    const noIssuer = await call('PUT', '/vault/connections/tpiss', { provider: { ...oauthBody().provider, authorization_response_iss_parameter_supported: true } });
    expect(noIssuer.status).toBe(400);
    expect(noIssuer.json.error).toBe('invalid_request');
    expect((await call('PUT', '/vault/connections/tpiss', { provider: { ...oauthBody().provider, issuer: 'not a url' } })).status).toBe(400);
    expect((await call('GET', '/vault/connections/tpiss')).json.provider).toMatchObject({ issuer: tp.provider.issuer, authorization_response_iss_parameter_supported: true });
    expect((await call('DELETE', '/vault/connections/tpiss')).status).toBe(200);
    expect((await call('DELETE', '/vault/connections/tpnoiss')).status).toBe(200);
  });

  it('refuses bad input with 400, never 500', async () => {
    const bad = [
      { ...oauthBody(), id: 'UPPER case' },
      { ...oauthBody(), provider: undefined },
      { ...oauthBody(), client_secret: undefined },
      { ...oauthBody(), provider: { ...oauthBody().provider, token_endpoint: 'http://provider.example/token' } },
      { ...oauthBody(), provider: { ...oauthBody().provider, authorization_endpoint: 'not a url' } },
      { ...oauthBody(), provider: { ...oauthBody().provider, scopes: ['two words'] } },
      { ...oauthBody(), kind: 'ldap' },
      { ...oauthBody(), id: 'tp' },
    ];
    for (const body of bad) {
      const res = await call('POST', '/vault/connections', body);
      expect(res.status).toBe(400);
      expect(res.json.error).toBe('invalid_request');
    }
    expect((await call('POST', '/vault/connections', { ...oauthBody(), id: 'public', client_secret: undefined, provider: { ...oauthBody().provider, token_endpoint_auth_method: 'none' } })).status).toBe(201);
  });

  it('lists linked accounts with their status, and deletes a connection unlinking them with revocation at the provider', async () => {
    const vault = s.server.ctx.vault;
    await linkThroughProvider(vault, tp.provider, 'usr_alice', 'alice');
    const { accessToken } = await vault.accessToken('usr_alice', 'tp');
    const entries = await call('GET', '/vault/connections/tp/entries');
    expect(entries.json.items).toEqual([expect.objectContaining({ user_id: 'usr_alice', connection_id: 'tp', status: 'ok', last_error: null })]);
    expect(JSON.stringify(entries.json)).not.toContain(accessToken);
    const deleted = await call('DELETE', '/vault/connections/tp');
    expect(deleted.json).toEqual({ unlinked: 1, revocation_failed: 0 });
    expect((await userinfo(tp.provider, accessToken)).status).toBe(401);
    expect((await call('GET', '/vault/connections/tp')).status).toBe(404);
    expect((await call('DELETE', '/vault/connections/tp')).status).toBe(404);
    const audited = await s.server.ctx.storage.audit.list({ event: 'admin.deleteVaultConnection' });
    expect(audited.at(-1)?.data).toMatchObject({ connectionId: 'tp', unlinked: 1 });
  });

  it("goes through the server's vault (ctx.vault): its SSRF guard refuses a provider outside the development allowance", async () => {
    const outside = await startCaptureServer(); // loopback, not in federation.devAllowedHosts
    try {
      const body = oauthBody();
      const endpoints = { authorization_endpoint: `${outside.origin}/auth`, token_endpoint: `${outside.origin}/token`, revocation_endpoint: `${outside.origin}/revoke` };
      expect((await call('POST', '/vault/connections', { ...body, id: 'outside', provider: { ...body.provider, ...endpoints } })).status).toBe(201);
      await s.server.ctx.vault.linkTokens('usr_bob', 'outside', { accessToken: 'at', refreshToken: 'rt', expiresIn: 3600, scope: null });
      const viaServerVault = vi.spyOn(s.server.ctx.vault, 'getConnection');
      // Review L5: tokens that could not be revoked are kept (revoked) with their connection, the refusal audited with the entry ids.
      const refused = await call('DELETE', '/vault/connections/outside');
      expect(refused.status).toBe(400);
      expect(refused.json).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/force=true/) });
      const [kept] = await s.server.ctx.storage.vault.entries.listForConnection('outside');
      expect(kept).toMatchObject({ userId: 'usr_bob', status: 'revoked', lastError: 'revocation_failed:endpoint_refused' });
      expect(await s.server.ctx.vault.getConnection('outside')).not.toBeNull();
      const failure = (await s.server.ctx.storage.audit.list({ event: 'admin.deleteVaultConnection' })).find((e) => e.result === 'failure');
      expect(failure?.data).toMatchObject({ connectionId: 'outside', revocation_failed: 1, revocation_failed_entries: [kept!.id] });
      expect((await call('DELETE', '/vault/connections/outside?force=true')).json).toEqual({ unlinked: 1, revocation_failed: 1 });
      expect(await s.server.ctx.vault.getConnection('outside')).toBeNull();
      expect(viaServerVault).toHaveBeenCalledWith('outside');
      expect(outside.requests).toEqual([]);
    } finally {
      await outside.close();
    }
  });
});

describe('Admin API: vault connections in production mode', () => {
  let prod: TestServer;
  let prodToken: string;
  beforeAll(async () => {
    prod = await startAdminServer({ mode: 'production' });
    prodToken = (await mintToken(prod)).token;
  });
  afterAll(() => prod?.close());

  it('refuses http provider endpoints, even on loopback', async () => {
    const provider = { authorization_endpoint: 'https://tp.example/auth', token_endpoint: 'http://127.0.0.1:9/token', client_id: CLIENT_ID };
    const res = await admin(prod, prodToken, 'POST', '/vault/connections', { id: 'tp', display_name: 'TP', kind: 'oauth', provider, client_secret: CLIENT_SECRET });
    expect(res.status).toBe(400);
    expect(res.json.error_description).toMatch(/https/);
    const ok = await admin(prod, prodToken, 'POST', '/vault/connections', { id: 'tp', display_name: 'TP', kind: 'oauth', provider: { ...provider, token_endpoint: 'https://tp.example/token' }, client_secret: CLIENT_SECRET });
    expect(ok.status).toBe(201);
    const put = await admin(prod, prodToken, 'PUT', '/vault/connections/tp', { provider: { ...provider, revocation_endpoint: 'http://localhost:9/revoke', token_endpoint: 'https://tp.example/token' } });
    expect(put.status).toBe(400);
  });
});
