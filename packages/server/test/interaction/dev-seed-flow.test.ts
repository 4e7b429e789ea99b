import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from 'otplib';
import { Acr } from '@mandate/protocol';
import { sha256 } from '../../src/crypto/hash.ts';
import { readSeedFile, seedDevelopmentData } from '../../src/dev/seed.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { TestBrowser } from './support/browser.ts';
import { authorizeUrl, pkce } from './support/fixtures.ts';
import { beginAuthorization, decideConsent, location, openPage } from './support/flow.ts';

let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer();
  await seedDevelopmentData(ts.server.ctx);
});
afterAll(() => ts.close());

describe('HU-1 the development users sign in with password + TOTP to the demo MCP host (RFC 8252 loopback)', () => {
  it('alice: login, TOTP, consent naming the client and the loopback host, code delivered', async () => {
    const seed = await readSeedFile();
    const alice = seed.users.find((u) => u.email === 'alice@example.com')!;
    const browser = new TestBrowser();
    const redirectUri = 'http://127.0.0.1:53682/callback';
    const interactionUrl = await beginAuthorization(
      browser,
      authorizeUrl(ts.issuer, {
        response_type: 'code',
        client_id: 'demo-mcp-host',
        redirect_uri: redirectUri,
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
        scope: 'openid profile',
        state: 'dev-state',
      }),
    );
    const login = await openPage(browser, interactionUrl);
    expect(login.html).toContain('Demo MCP Host');
    await browser.post(login.action, { csrf: login.csrf, email: 'Alice@Example.com', password: alice.password });
    const totp = await openPage(browser, interactionUrl);
    await browser.post(totp.action, { csrf: totp.csrf, totp: await generate({ secret: alice.totpSecret }) });
    const consent = await openPage(browser, interactionUrl);
    expect(consent.html).toContain('<span id="client-name">Demo MCP Host</span>');
    expect(consent.html).toContain('127.0.0.1:53682');
    const res = await decideConsent(browser, interactionUrl, 'approve');
    expect(location(res).startsWith(`${redirectUri}?code=`)).toBe(true);
    const q = new URL(location(res)).searchParams;
    expect(q.get('state')).toBe('dev-state');
    expect(q.get('iss')).toBe(ts.issuer);
    const record = (await ts.server.ctx.storage.codes.consume(sha256(q.get('code')!), ts.server.ctx.now()))!.record;
    expect(record.acr).toBe(Acr.PasswordTotp);
    expect(record.redirectUri).toBe(redirectUri);
  });
});
