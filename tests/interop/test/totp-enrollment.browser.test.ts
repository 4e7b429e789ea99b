/**
 * A real browser (Debian Chromium via playwright-core) through TOTP enrolment at login (HU-1:
 * email + password only together with a second factor). The account has a password and no
 * second factor, as the admin API or SCIM create it: the password leads to the setup page, not
 * to a session; the setup key read off the page and one code from it complete the login, and
 * the tokens say password + one-time code. Screenshots under test-artifacts/browser/.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { hashPassword } from '../../../packages/server/src/crypto/password.ts';
import { randomId } from '../../../packages/server/src/crypto/hash.ts';
import type { ChromiumSession } from '../src/browser/chromium.ts';
import { beginAuthorization, BROWSER_SHOTS as SHOTS, startNativeAppInBrowser, type NativeAppInBrowser } from '../src/browser/native-app-login.ts';
import type { LoopbackCallback } from '../src/loopback-callback.ts';
import type { TestServer } from '../src/server.ts';
import { totpCode } from '../src/totp.ts';

let rig: NativeAppInBrowser;
let as: TestServer;
let app: LoopbackCallback;
let browser: ChromiumSession;

beforeAll(async () => {
  rig = await startNativeAppInBrowser('interop-enrolment-app', 'Interop Enrolment App');
  ({ as, app, browser } = rig);
});
afterAll(async () => {
  await rig?.close();
});

describe('Chromium: password, then TOTP set up at login, consent, code (HU-1)', () => {
  it('shows the setup key, accepts its first code, and the tokens carry amr [pwd, otp]', async () => {
    const ctx = as.server.ctx;
    const id = randomId('usr');
    const email = `${id.toLowerCase().replace(/[^a-z0-9]/g, '')}@interop.example`;
    const password = randomBytes(18).toString('base64url');
    const t = ctx.now();
    await ctx.storage.users.create({ id, email, name: 'No Second Factor', passwordHash: await hashPassword(password), totpSecretEncrypted: null, isAdmin: false, disabled: false, createdAt: t, updatedAt: t });

    const { config, verifier, state, authorizationUrl } = await beginAuthorization(rig, 'interop-enrolment-app', 'openid email');

    const page = await browser.context.newPage();
    await page.goto(authorizationUrl.href);
    await page.fill('#email', email);
    await page.fill('#password', password);
    await page.click('#sign-in');

    await page.waitForSelector('#totp-secret');
    await page.screenshot({ path: `${SHOTS}05-totp-enrollment.png`, fullPage: true });
    expect(await page.locator('h1').textContent()).toBe('Set up two-step verification');
    // No session before the second factor is proven.
    expect((await browser.context.cookies(as.issuer)).some((c) => c.name === '__Host-mandate_session')).toBe(false);
    const secret = (await page.locator('#totp-secret').textContent()) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(await page.locator('#totp-uri').getAttribute('href')).toContain(`secret=${secret}`);

    // The code field is found by its label, as assistive technology finds it.
    await page.getByLabel('Authentication code').fill(await totpCode(secret));
    await page.click('#verify');

    await page.waitForSelector('#approve');
    await page.click('#approve');
    await page.waitForSelector('#outcome');
    const callback = await app.received;
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()).toMatchObject({ sub: id, amr: ['pwd', 'otp'] });
    expect((await ctx.storage.users.get(id))?.totpSecretEncrypted).not.toBeNull();
    await page.close();
  });
});
