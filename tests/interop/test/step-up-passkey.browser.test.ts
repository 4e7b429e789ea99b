/**
 * The full claim-challenge loop (seed 000, RFC 9470, RS-4, HU-1) in a real browser: Debian
 * Chromium driven by playwright-core, with a CDP virtual authenticator (CTAP2, internal transport,
 * resident keys, user verification) standing in for the device's platform authenticator.
 *
 *   1. the user signs in with password + TOTP; the client gets a token (acr: password + TOTP)
 *   2. the user adds a passkey on the account page (WebAuthn registration)
 *   3. the protected resource refuses the token: 401 insufficient_user_authentication, acr_values
 *   4. the client re-authorizes with those acr_values; the AS asks for the passkey step alone
 *   5. the new token carries the phishing-resistant acr and a new auth_time; the retry succeeds
 *
 * The AS issuer is http://localhost:<port>: WebAuthn needs a domain RP ID (an IP is not one),
 * and localhost is a secure context. Screenshots of every step are kept under
 * test-artifacts/step-up/.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import type { CDPSession, Page } from 'playwright-core';
import { Acr } from '@mandate/protocol';
import { launchChromium, type ChromiumSession } from '../src/browser/chromium.ts';
import { INTEROP_SCOPES, nativeClient } from '../src/clients.ts';
import { startLoopbackCallback } from '../src/loopback-callback.ts';
import { createUser, startAuthorizationServer, type TestServer, type TestUser } from '../src/server.ts';
import { bearerChallenge, callStepUpTool, startStepUpResourceServer, type StepUpResourceServer } from '../src/step-up-resource-server.ts';
import { totpCode } from '../src/totp.ts';

const SHOTS = fileURLToPath(new URL('../../../test-artifacts/step-up/', import.meta.url));
const CLIENT_ID = 'interop-step-up-app';
const SCOPE = 'openid mcp:tools';

let as: TestServer;
let rs: StepUpResourceServer;
let browser: ChromiumSession;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  rs = await startStepUpResourceServer(Acr.Passkey);
  const registration = { ...nativeClient(CLIENT_ID), client_name: 'Step-up Demo Agent' };
  as = await startAuthorizationServer({ scopesSupported: INTEROP_SCOPES, clients: [registration], resources: [rs.url] }, 'sqlite', { hostname: 'localhost' });
  rs.trust(as.issuer);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await rs?.close();
  await as?.close();
});

/** A CDP virtual authenticator on this page (WebAuthn domain): a platform authenticator with UV. */
async function virtualAuthenticator(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { cdp, authenticatorId };
}

/** One authorization-code round trip in the browser; `drive` handles the pages in between. */
async function authorize(config: client.Configuration, page: Page, params: Record<string, string>, drive: () => Promise<void>) {
  const callback = await startLoopbackCallback();
  try {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: callback.redirectUri,
      scope: SCOPE,
      resource: rs.url,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ...params,
    });
    await page.goto(url.href);
    await drive();
    await page.waitForSelector('#outcome');
    return await client.authorizationCodeGrant(config, await callback.received, { pkceCodeVerifier: verifier, expectedState: state }, { resource: rs.url });
  } finally {
    await callback.close();
  }
}

async function passwordAndTotp(page: Page, user: TestUser): Promise<void> {
  await page.waitForSelector('#email');
  await page.screenshot({ path: `${SHOTS}01-login.png`, fullPage: true });
  await page.fill('#email', user.email);
  await page.fill('#password', user.password);
  await page.click('#sign-in');
  await page.waitForSelector('#totp');
  await page.fill('#totp', await totpCode(user.totpSecret));
  await page.click('#verify');
  await page.waitForSelector('#approve');
  await page.screenshot({ path: `${SHOTS}02-consent.png`, fullPage: true });
  await page.click('#approve');
}

const callResource = (accessToken: string) => callStepUpTool(rs.url, accessToken);

describe('RFC 9470 step-up with a passkey, in Chromium with a virtual authenticator (RS-4, HU-1, seed 000)', () => {
  it('401 insufficient_user_authentication → re-authorization with acr_values → passkey step → the retried call succeeds', async () => {
    const user = await createUser(as.server.ctx, 'Step-up User');
    const config = await client.discovery(new URL(as.issuer), CLIENT_ID, undefined, client.None(), { execute: [client.allowInsecureRequests] });
    const page = await browser.context.newPage();
    const { cdp, authenticatorId } = await virtualAuthenticator(page);

    // 1. Password + TOTP.
    const first = await authorize(config, page, {}, () => passwordAndTotp(page, user));
    const firstClaims = decodeJwt(first.access_token);
    expect(firstClaims).toMatchObject({ sub: user.id, acr: Acr.PasswordTotp, aud: rs.url });

    // 2. The user adds a passkey on the account page (same browser session, same origin as the RP ID).
    await page.goto(`${as.issuer}/account/passkeys`);
    await page.waitForSelector('#add-passkey');
    await page.screenshot({ path: `${SHOTS}03-account-passkeys.png`, fullPage: true });
    await page.click('#add-passkey');
    await page.waitForSelector('#notice');
    expect(await page.locator('#notice').textContent()).toBe('Passkey added.');
    await page.screenshot({ path: `${SHOTS}04-passkey-added.png`, fullPage: true });
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });
    const stored = await as.server.ctx.storage.passkeys.listForUser(user.id);
    expect(stored.map((p) => p.credentialId)).toEqual([Buffer.from(credentials[0]!.credentialId, 'base64').toString('base64url')]);

    // 3. The MCP server (@mandate/mcp) refuses the tool call with the password + TOTP token: RFC 9470 challenge.
    const refused = await callResource(first.access_token);
    expect(refused.status).toBe(401);
    const challenge = bearerChallenge(refused.headers.get('www-authenticate'));
    expect(challenge).toMatchObject({ error: 'insufficient_user_authentication', acr_values: Acr.Passkey });

    // 4. The client comes back with the challenged acr_values (C-7: the same scopes, one retry).
    //    The session already has password + TOTP: only the passkey step is shown.
    const second = await authorize(config, page, { acr_values: challenge.acr_values as string }, async () => {
      await page.waitForSelector('#use-passkey');
      expect(await page.locator('h1').textContent()).toBe('Confirm with your passkey');
      expect(await page.locator('#password').count()).toBe(0);
      await page.screenshot({ path: `${SHOTS}05-passkey-step.png`, fullPage: true });
      await page.click('#use-passkey');
    });
    await page.screenshot({ path: `${SHOTS}06-back-at-client.png`, fullPage: true });

    // 5. The new tokens report the passkey authentication; the retried call succeeds.
    const secondClaims = decodeJwt(second.access_token);
    expect(secondClaims).toMatchObject({ sub: user.id, acr: Acr.Passkey, aud: rs.url });
    expect(secondClaims.auth_time as number).toBeGreaterThanOrEqual(firstClaims.auth_time as number);
    expect(second.claims()).toMatchObject({ sub: user.id, acr: Acr.Passkey, amr: ['hwk', 'user'] });
    const retried = await callResource(second.access_token);
    expect(retried.status).toBe(200);
    const answer = (await retried.json()) as { result?: { isError?: boolean; structuredContent?: Record<string, unknown> } };
    expect(answer.result?.isError).toBeFalsy();
    expect(answer.result?.structuredContent).toMatchObject({ acr: Acr.Passkey });

    const [passkey] = await as.server.ctx.storage.passkeys.listForUser(user.id);
    expect(passkey?.lastUsedAt).not.toBeNull();
    await page.close();
  });
});
