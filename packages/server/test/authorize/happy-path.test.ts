import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Acr } from '@mandate/protocol';
import { sha256 } from '../../src/crypto/hash.ts';
import { startTestServer, type Backend, type TestServer } from '../helpers/test-server.ts';
import { TestBrowser } from '../interaction/support/browser.ts';
import { authorizeUrl, createClient, createUser, pkce, validParams } from '../interaction/support/fixtures.ts';
import { authorizeToRedirect, beginAuthorization, decideConsent, location, signIn } from '../interaction/support/flow.ts';

const RESOURCE = 'https://mcp.example.com/mcp';

describe.each<Backend>(['sqlite', 'postgres'])('RFC 6749 §4.1 authorization code flow, end to end (%s)', (backend) => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer(
      { authorizationDetailsTypes: [{ type: 'payment_initiation', description: 'Make a payment', fields: ['amount', 'currency'], required: ['amount'] }] },
      backend,
    );
  });
  afterAll(() => ts.close());

  it('ends in a redirect carrying code, state and iss, and stores the code hashed with every field the token endpoint needs', async () => {
    const ctx = ts.server.ctx;
    const client = await createClient(ctx, { redirectUris: ['https://app.example.com/callback?tenant=a%20b'] });
    const user = await createUser(ctx);
    const { challenge } = pkce();
    const details = [{ type: 'payment_initiation', amount: '10.00', currency: 'EUR' }];
    const params = validParams(client, challenge, {
      scope: 'openid profile offline_access',
      resource: [RESOURCE, 'https://api.example.com/'],
      nonce: 'n-0S6_WzA2Mj',
      authorization_details: JSON.stringify(details),
    });
    const res = await authorizeToRedirect(new TestBrowser(), authorizeUrl(ts.issuer, params), user);

    const target = location(res);
    // RFC 6749 §3.1.2: the registered query is kept as it was.
    expect(target.startsWith('https://app.example.com/callback?tenant=a%20b&')).toBe(true);
    const query = new URL(target).searchParams;
    const code = query.get('code') ?? '';
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(query.get('state')).toBe(params.state);
    expect(query.get('iss')).toBe(ts.issuer); // RFC 9207 §2
    expect(query.get('tenant')).toBe('a b');

    const consumed = await ctx.storage.codes.consume(sha256(code), ctx.now());
    expect(consumed?.first).toBe(true);
    const record = consumed!.record;
    expect(record.codeHash).toBe(sha256(code));
    expect(record.codeHash).not.toBe(code);
    expect(record).toMatchObject({
      clientId: client.clientId,
      userId: user.record.id,
      redirectUri: client.redirectUris[0],
      codeChallenge: challenge,
      codeChallengeMethod: 'S256',
      scope: 'offline_access openid profile',
      resources: [RESOURCE, 'https://api.example.com/'],
      authorizationDetails: details,
      nonce: 'n-0S6_WzA2Mj',
      acr: Acr.PasswordTotp,
      amr: ['pwd', 'otp'],
      dpopJkt: null,
    });
    expect(record.expiresAt - record.createdAt).toBe(ctx.config.ttl.authorizationCode);
    expect(record.sessionIdHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Math.abs(record.authTime - ctx.now())).toBeLessThan(30);

    const grant = await ctx.storage.grants.get(record.grantId);
    expect(grant).toMatchObject({
      userId: user.record.id,
      clientId: client.clientId,
      scope: 'offline_access openid profile',
      resources: [RESOURCE, 'https://api.example.com/'],
      authorizationDetails: details,
      revokedAt: null,
    });
    expect(grant?.id).toMatch(/^grt_/);
    const consent = await ctx.storage.consents.get(grant!.consentId!);
    expect(consent).toMatchObject({ userId: user.record.id, clientId: client.clientId, scope: 'offline_access openid profile' });

    const audit = await ctx.storage.audit.list({ event: 'authorization', clientId: client.clientId });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ result: 'success', userId: user.record.id, grantedScope: 'offline_access openid profile' });
    expect(JSON.stringify(audit)).not.toContain(code);
  });

  it('the code redeems at the token endpoint with the PKCE verifier (the records mean what the token endpoint reads)', async () => {
    const ctx = ts.server.ctx;
    const client = await createClient(ctx);
    const user = await createUser(ctx);
    const { verifier, challenge } = pkce();
    const res = await authorizeToRedirect(new TestBrowser(), authorizeUrl(ts.issuer, validParams(client, challenge, { resource: RESOURCE, nonce: 'nonce-1' })), user);
    const code = new URL(location(res)).searchParams.get('code') ?? '';
    const token = await fetch(`${ts.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, client_id: client.clientId, redirect_uri: client.redirectUris[0]! }),
    });
    const body = (await token.json()) as Record<string, unknown>;
    expect(token.status, JSON.stringify(body)).toBe(200);
    expect(body.scope).toBe('openid profile');
    expect(typeof body.access_token).toBe('string');
    expect(typeof body.id_token).toBe('string');
  });

  it('records dpop_jkt on the code, binding it to that DPoP key (RFC 9449 §10)', async () => {
    const ctx = ts.server.ctx;
    const client = await createClient(ctx);
    const user = await createUser(ctx);
    const jkt = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
    const res = await authorizeToRedirect(new TestBrowser(), authorizeUrl(ts.issuer, validParams(client, pkce().challenge, { dpop_jkt: jkt })), user);
    const code = new URL(location(res)).searchParams.get('code') ?? '';
    expect((await ctx.storage.codes.consume(sha256(code), ctx.now()))?.record.dpopJkt).toBe(jkt);
  });

  it('accepts the request as a form POST as well (RFC 6749 §3.1)', async () => {
    const ctx = ts.server.ctx;
    const client = await createClient(ctx);
    const user = await createUser(ctx);
    const browser = new TestBrowser();
    const params = validParams(client, pkce().challenge);
    const res = await browser.post(`${ts.issuer}/authorize`, params as Record<string, string>);
    expect(res.status).toBe(303);
    const interactionUrl = location(res);
    await signIn(browser, interactionUrl, user);
    const done = await decideConsent(browser, interactionUrl, 'approve');
    expect(new URL(location(done)).searchParams.get('code')).toBeTruthy();
  });

  it('omitting redirect_uri is accepted when exactly one redirect URI is registered (OAuth 2.1 §4.1.1)', async () => {
    const ctx = ts.server.ctx;
    const client = await createClient(ctx);
    const user = await createUser(ctx);
    const browser = new TestBrowser();
    const url = authorizeUrl(ts.issuer, validParams(client, pkce().challenge, { redirect_uri: undefined }));
    const interactionUrl = await beginAuthorization(browser, url);
    await signIn(browser, interactionUrl, user);
    const done = await decideConsent(browser, interactionUrl, 'approve');
    expect(location(done).startsWith('https://app.example.com/callback?code=')).toBe(true);
  });
});
