/**
 * RFC 6749 §3.3 at the admin API (admin/auth.ts): the token's scope claim and the client's
 * registered scope are read as space-delimited tokens, so extra spaces neither hide
 * mandate:admin nor stand for a scope of their own.
 */
import { describe, expect, it } from 'vitest';
import { ADMIN_CLI, admin, mintToken, useAdminApi } from './support.ts';

const api = useAdminApi();

describe('RFC 6749 §3.3 admin API scope tokens', () => {
  it('accepts a token whose scope is "  mandate:admin " (leading, trailing spaces)', async () => {
    const { token } = await mintToken(api.server, { scope: '  mandate:admin ' });
    expect((await admin(api.server, token, 'GET', '/keys')).status).toBe(200);
  });

  it('answers 403 insufficient_scope for a token whose scope is only spaces', async () => {
    const { token } = await mintToken(api.server, { scope: '   ' });
    const res = await admin(api.server, token, 'GET', '/keys');
    expect(res.status).toBe(403);
    expect(res.json.error).toBe('insufficient_scope');
  });

  it('accepts a client whose registered scope has repeated spaces around mandate:admin', async () => {
    const client = (await api.ctx.storage.clients.get(ADMIN_CLI.id))!;
    await api.ctx.storage.clients.update({ ...client, scope: 'reports:read  mandate:admin ' });
    try {
      expect((await api.call('GET', '/keys')).status).toBe(200);
    } finally {
      await api.ctx.storage.clients.update(client);
    }
  });
});
