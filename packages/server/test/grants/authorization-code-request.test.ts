/**
 * The authorization code token request read before the code is touched (grants/authorization-code/
 * request.ts): RFC 6749 §4.1.2 makes a second presentation of a code a replay that revokes its
 * grant, so a request refused for its syntax must leave the code redeemable. And RFC 6749 §4.1.3:
 * redirect_uri is required when the authorization request carried it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCode, exchangeCode, startTokenServer, type Form, type TokenServer } from '../token/fixtures.ts';

describe.each(['sqlite', 'postgres'] as const)('authorization_code request checks (%s)', (backend) => {
  let server: TokenServer;
  beforeAll(async () => {
    server = await startTokenServer({}, backend);
  });
  afterAll(async () => {
    await server?.close();
  });

  const code = (o: Partial<Parameters<typeof createCode>[1]> = {}) => createCode(server.ctx, { clientId: 'web-app', userId: server.alice.id, ...o });

  describe('RFC 6749 §3.3 / RFC 8707 §2 / RFC 9396 §2: a malformed narrowing parameter never consumes the code', () => {
    const cases: [string, Form, string][] = [
      ['scope', { scope: 'mcp:read "x' }, 'invalid_scope'],
      ['resource (relative URI)', { resource: 'not a uri' }, 'invalid_target'],
      ['resource (fragment)', { resource: 'https://mcp.example/mcp#f' }, 'invalid_target'],
      ['authorization_details (not JSON)', { authorization_details: '[{' }, 'invalid_authorization_details'],
    ];
    it.each(cases)('%s: refused, then the corrected request redeems the code and the grant stays live', async (_name, form, error) => {
      const issued = await code();
      const bad = await exchangeCode(server, issued, form);
      expect(bad.status).toBe(400);
      expect(bad.body.error).toBe(error);
      const good = await exchangeCode(server, issued);
      expect(good.status, JSON.stringify(good.body)).toBe(200);
      expect((await server.ctx.storage.grants.get(issued.grantId))?.revokedAt).toBeNull();
    });

    it('a well-formed value outside the grant is still refused after consumption (RFC 6749 §6, RFC 8707 §2.2)', async () => {
      const issued = await code({ scope: 'openid mcp:read' });
      const res = await exchangeCode(server, issued, { scope: 'openid profile' });
      expect(res.body.error).toBe('invalid_scope');
    });
  });

  describe('RFC 6749 §4.1.3 / OAuth 2.1 §4.1.3: redirect_uri required when the authorization request included it', () => {
    it('refuses an omitted redirect_uri with invalid_grant (§5.2) when /authorize had it, even for a client with one URI', async () => {
      const issued = await code({ redirectUriSent: true });
      const res = await exchangeCode(server, issued, { redirect_uri: undefined });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
      expect(res.body.error_description).toMatch(/redirect_uri/);
    });

    it('accepts it omitted when /authorize omitted it too', async () => {
      const issued = await code({ redirectUriSent: false });
      const res = await exchangeCode(server, issued, { redirect_uri: undefined });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    });
  });
});
