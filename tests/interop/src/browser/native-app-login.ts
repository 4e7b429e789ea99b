/**
 * What the Chromium login tests share (chromium-login.test.ts, totp-enrollment.browser.test.ts):
 * an authorization server with one native app that receives its code at a loopback listener
 * (RFC 8252 §7.3), a headless Chromium, and the app's side of the code flow — discovery as a
 * public client and an authorization URL with PKCE S256 (RFC 7636) and a fresh state.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as client from 'openid-client';
import { INTEROP_SCOPES, nativeClient } from '../clients.ts';
import { startLoopbackCallback, type LoopbackCallback } from '../loopback-callback.ts';
import { startAuthorizationServer, type TestServer } from '../server.ts';
import { launchChromium, type ChromiumSession } from './chromium.ts';

/** Where the browser tests keep their screenshots. */
export const BROWSER_SHOTS = fileURLToPath(new URL('../../../../test-artifacts/browser/', import.meta.url));

export interface NativeAppInBrowser {
  as: TestServer;
  app: LoopbackCallback;
  browser: ChromiumSession;
  close(): Promise<void>;
}

/** Starts the loopback listener, the AS with the app registered (shown to the user as `clientName`) and Chromium. */
export async function startNativeAppInBrowser(clientId: string, clientName: string): Promise<NativeAppInBrowser> {
  mkdirSync(BROWSER_SHOTS, { recursive: true });
  const app = await startLoopbackCallback();
  let as: TestServer | undefined;
  let browser: ChromiumSession;
  try {
    const registration = { ...nativeClient(clientId, [app.redirectUri]), client_name: clientName };
    as = await startAuthorizationServer({ scopesSupported: INTEROP_SCOPES, clients: [registration] });
    browser = await launchChromium();
  } catch (err) {
    // A half-started rig would keep ports open and the test process alive.
    await as?.close();
    await app.close();
    throw err;
  }
  return {
    as,
    app,
    browser,
    async close() {
      await browser.close();
      await app.close();
      await as.close();
    },
  };
}

/** The app discovers the AS and builds the authorization URL the browser is sent to. */
export async function beginAuthorization(rig: NativeAppInBrowser, clientId: string, scope: string): Promise<{ config: client.Configuration; verifier: string; state: string; authorizationUrl: URL }> {
  const config = await client.discovery(new URL(rig.as.issuer), clientId, undefined, client.None(), { execute: [client.allowInsecureRequests] });
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const authorizationUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: rig.app.redirectUri,
    scope,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  return { config, verifier, state, authorizationUrl };
}
