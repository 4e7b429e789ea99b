/**
 * A real browser (Debian Chromium via playwright-core) through the login pages (HU-1: password,
 * then TOTP) and the consent page (AS-8: client name and redirect host shown plainly), ending with
 * the code delivered to a native app's loopback listener (RFC 8252 §7.3). Screenshots of every
 * step are kept under test-artifacts/browser/.
 *
 * It also proves the session cookie works on http://127.0.0.1 as configured: `__Host-` prefix,
 * Secure, HttpOnly, SameSite=Lax — Chromium treats loopback as a secure context and accepts it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import type { ChromiumSession } from '../src/browser/chromium.ts';
import { beginAuthorization, BROWSER_SHOTS as SHOTS, startNativeAppInBrowser, type NativeAppInBrowser } from '../src/browser/native-app-login.ts';
import type { LoopbackCallback } from '../src/loopback-callback.ts';
import { createUser, type TestServer } from '../src/server.ts';
import { totpCode } from '../src/totp.ts';

let rig: NativeAppInBrowser;
let as: TestServer;
let app: LoopbackCallback;
let browser: ChromiumSession;

beforeAll(async () => {
  rig = await startNativeAppInBrowser('interop-browser-app', 'Interop Browser App');
  ({ as, app, browser } = rig);
});
afterAll(async () => {
  await rig?.close();
});

describe('Chromium: password + TOTP login, consent, code at the loopback redirect (HU-1, AS-8, RFC 8252)', () => {
  it('signs in, shows who asks and where the answer goes, and delivers a code that redeems', async () => {
    const user = await createUser(as.server.ctx, 'Browser User');
    const { config, verifier, state, authorizationUrl } = await beginAuthorization(rig, 'interop-browser-app', 'openid email mcp:tools');

    const page = await browser.context.newPage();
    await page.goto(authorizationUrl.href);
    await page.waitForSelector('#email');
    expect(await page.locator('h1').textContent()).toBe('Sign in');
    expect(await page.locator('main').textContent()).toContain('Interop Browser App');
    await page.screenshot({ path: `${SHOTS}01-login.png`, fullPage: true });
    await page.fill('#email', user.email);
    await page.fill('#password', user.password);
    await page.click('#sign-in');

    await page.waitForSelector('#totp');
    await page.screenshot({ path: `${SHOTS}02-totp.png`, fullPage: true });
    await page.fill('#totp', await totpCode(user.totpSecret));
    await page.click('#verify');

    await page.waitForSelector('#approve');
    await page.screenshot({ path: `${SHOTS}03-consent.png`, fullPage: true });
    expect(await page.locator('#client-name').textContent()).toBe('Interop Browser App');
    expect(await page.locator('#redirect-host').textContent()).toContain(new URL(app.redirectUri).host);

    // The login session cookie, as Chromium stored it on http://127.0.0.1.
    const session = (await browser.context.cookies(as.issuer)).find((c) => c.name === '__Host-mandate_session');
    expect(session).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(session?.domain).toBe('127.0.0.1');

    await page.click('#approve');
    await page.waitForSelector('#outcome');
    await page.screenshot({ path: `${SHOTS}04-loopback-callback.png`, fullPage: true });
    expect(await page.locator('#outcome').textContent()).toContain('Signed in');

    const callback = await app.received;
    expect(callback.searchParams.get('iss')).toBe(as.issuer);
    expect(callback.searchParams.get('state')).toBe(state);
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()?.sub).toBe(user.id);
    await page.close();
  });
});
