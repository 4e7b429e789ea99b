/**
 * Admin API for vault connections: a connection that could not work as configured is refused
 * with 400 by the vault itself (connections.ts), on create and on update, and nothing changes —
 * an OAuth client whose auth method needs a secret it does not have, and a static-key
 * connection given provider metadata or a client secret it would silently drop.
 */
import { describe, expect, it } from 'vitest';
import { useAdminApi } from '../admin/support.ts';

const api = useAdminApi();
const call = api.call;

const provider = (authMethod: 'client_secret_basic' | 'client_secret_post' | 'none') => ({
  authorization_endpoint: 'https://tp.example/auth',
  token_endpoint: 'https://tp.example/token',
  client_id: 'mandate',
  token_endpoint_auth_method: authMethod,
});

function expectRefused(res: { status: number; json: { error?: string; error_description?: string } }, description: RegExp): void {
  expect(res.status).toBe(400);
  expect(res.json.error).toBe('invalid_request');
  expect(res.json.error_description).toMatch(description);
}

describe('Admin API: vault connections refused by the vault', () => {
  it('refuses removing the secret of a client_secret_basic/post connection, and changing a public client to basic/post without one', async () => {
    for (const method of ['client_secret_basic', 'client_secret_post'] as const) {
      const id = `secret-${method.slice(-4)}`;
      const created = await call('POST', '/vault/connections', { id, display_name: 'TP', kind: 'oauth', provider: provider(method), client_secret: 's3cret' });
      expect(created.status).toBe(201);
      expectRefused(await call('PUT', `/vault/connections/${id}`, { client_secret: null }), new RegExp(`${method}, which needs a client secret`));
      expectRefused(await call('PUT', `/vault/connections/${id}`, { display_name: 'Renamed', client_secret: null, provider: provider(method) }), /needs a client secret/);
      expect((await call('GET', `/vault/connections/${id}`)).json).toEqual(created.json);
    }
    const pub = await call('POST', '/vault/connections', { id: 'public', display_name: 'Public', kind: 'oauth', provider: provider('none') });
    expect(pub.json).toMatchObject({ has_client_secret: false, provider: { token_endpoint_auth_method: 'none' } });
    for (const method of ['client_secret_basic', 'client_secret_post'] as const) {
      expectRefused(await call('PUT', '/vault/connections/public', { provider: provider(method) }), new RegExp(`${method}, which needs a client secret`));
    }
    expect((await call('GET', '/vault/connections/public')).json).toEqual(pub.json);
    // With the secret in the same request the change is accepted.
    const upgraded = await call('PUT', '/vault/connections/public', { provider: provider('client_secret_post'), client_secret: 's3cret' });
    expect(upgraded.json).toMatchObject({ has_client_secret: true, provider: { token_endpoint_auth_method: 'client_secret_post' } });
  });

  it('refuses creating a basic/post connection without a secret (checked by the vault, not only the schema)', async () => {
    expectRefused(await call('POST', '/vault/connections', { id: 'nosecret', display_name: 'TP', kind: 'oauth', provider: provider('client_secret_post') }), /client_secret_post, which needs a client secret/);
    expect((await call('GET', '/vault/connections/nosecret')).status).toBe(404);
    await expect(api.ctx.vault.createConnection({ id: 'empty', kind: 'oauth', displayName: 'TP', provider: { authorizationEndpoint: 'https://tp.example/auth', tokenEndpoint: 'https://tp.example/token', revocationEndpoint: null, clientId: 'c', tokenEndpointAuthMethod: 'client_secret_basic', scopes: [] }, clientSecret: '' })).rejects.toMatchObject({ code: 'ERR_VAULT_INVALID_CONNECTION' });
    expect(await api.ctx.vault.getConnection('empty')).toBeNull();
  });

  it('refuses provider metadata or a client secret for a static-key connection, on create and on update', async () => {
    expectRefused(await call('POST', '/vault/connections', { id: 'key', display_name: 'Key', kind: 'static', provider: provider('none') }), /static-key connection: it takes no provider/);
    expectRefused(await call('POST', '/vault/connections', { id: 'key', display_name: 'Key', kind: 'static', client_secret: 's3cret' }), /static-key connection: it takes no client_secret/);
    expect((await call('GET', '/vault/connections/key')).status).toBe(404);
    const created = await call('POST', '/vault/connections', { id: 'key', display_name: 'Key', kind: 'static' });
    expect(created.status).toBe(201);
    expectRefused(await call('PUT', '/vault/connections/key', { display_name: 'Renamed', provider: provider('none') }), /static-key connection: it takes no provider/);
    expectRefused(await call('PUT', '/vault/connections/key', { client_secret: 's3cret' }), /static-key connection: it takes no client_secret/);
    expect((await call('GET', '/vault/connections/key')).json).toEqual(created.json);
    expect((await call('PUT', '/vault/connections/key', { display_name: 'Renamed' })).json).toMatchObject({ display_name: 'Renamed', provider: null, has_client_secret: false });
  });
});
