/**
 * RFC 6749 §4.1.3 / OAuth 2.1 §4.1.3, end to end: redirect_uri is REQUIRED at the token endpoint
 * "if the redirect_uri parameter was included in the authorization request". /authorize lets a
 * client with one registered URI omit it; the code records whether it was sent (migration 0011).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type Backend, type TestServer } from '../helpers/test-server.ts';
import { TestBrowser } from '../interaction/support/browser.ts';
import { authorizeUrl, createClient, createUser, pkce, validParams } from '../interaction/support/fixtures.ts';
import { authorizeToRedirect, location } from '../interaction/support/flow.ts';

describe.each<Backend>(['sqlite', 'postgres'])('RFC 6749 §4.1.3 redirect_uri repeated when sent at /authorize (%s)', (backend) => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer({}, backend);
  });
  afterAll(() => ts.close());

  async function authorizeAndRedeem(sendAtAuthorize: boolean, sendAtToken: boolean): Promise<{ status: number; body: Record<string, unknown> }> {
    const ctx = ts.server.ctx;
    const client = await createClient(ctx); // exactly one registered redirect URI
    const user = await createUser(ctx);
    const { verifier, challenge } = pkce();
    const params = validParams(client, challenge, sendAtAuthorize ? {} : { redirect_uri: undefined });
    const res = await authorizeToRedirect(new TestBrowser(), authorizeUrl(ts.issuer, params), user);
    const code = new URL(location(res)).searchParams.get('code') ?? '';
    const form = new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, client_id: client.clientId });
    if (sendAtToken) form.set('redirect_uri', client.redirectUris[0]!);
    const token = await fetch(`${ts.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
    return { status: token.status, body: (await token.json()) as Record<string, unknown> };
  }

  it('refuses with invalid_grant a token request omitting redirect_uri when /authorize had it (§5.2)', async () => {
    const res = await authorizeAndRedeem(true, false);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
    expect(res.body.error_description).toMatch(/redirect_uri/);
  });

  it('redeems when redirect_uri is repeated', async () => {
    const res = await authorizeAndRedeem(true, true);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });

  it('still lets a client with one registered URI omit it at both endpoints', async () => {
    const res = await authorizeAndRedeem(false, false);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });
});
