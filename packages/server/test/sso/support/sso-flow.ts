/**
 * Drives an SSO login the way a browser does: Mandate's login page → POST /interaction/:id/sso →
 * the company IdP (its authorize endpoint, its login interaction, its redirect back) → the
 * callback URL at Mandate, returned unfollowed so tests can replay or alter it.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { Acr } from '@mandate/protocol';
import type { MandateConfigInput } from '../../../src/config/config.ts';
import type { ClientRecord } from '../../../src/storage/records.ts';
import { startTestServer, type TestServer } from '../../helpers/test-server.ts';
import { inputValue, type TestBrowser } from '../../interaction/support/browser.ts';
import { authorizeUrl, createClient, pkce, validParams, type Pkce } from '../../interaction/support/fixtures.ts';
import { beginAuthorization, decideConsent, location } from '../../interaction/support/flow.ts';
import { IDP_CLIENT_ID, IDP_CLIENT_SECRET, startCompanyIdp, type CompanyIdp } from './company-idp.ts';

export interface SsoWorld {
  idp: CompanyIdp;
  ts: TestServer;
  client: ClientRecord;
  close(): Promise<void>;
}

/** The login session cookie Mandate sets once a login is complete. */
export const SESSION_COOKIE = '__Host-mandate_session';

let made = 0;
/** An upstream subject (or email local part) that no other test of the run has used. */
export const freshName = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${++made}`;

/** One SsoWorld for the whole test file (beforeAll/afterAll); `ready` receives it once started. */
export function useSsoWorld(ready: (world: SsoWorld) => void, backend: 'sqlite' | 'postgres' = 'sqlite'): void {
  let world: SsoWorld | undefined;
  beforeAll(async () => {
    world = await startSsoWorld(backend);
    ready(world);
  });
  afterAll(() => world?.close());
}

/**
 * Mandate with four providers (and one that is down), all the same company IdP (same client registration) under
 * different policies; identities are per provider id, so they do not interfere.
 */
export async function startSsoWorld(backend: 'sqlite' | 'postgres' = 'sqlite'): Promise<SsoWorld> {
  const idp = await startCompanyIdp();
  process.env.MANDATE_TEST_IDP_SECRET = IDP_CLIENT_SECRET;
  const base = { issuer: idp.issuer, clientId: IDP_CLIENT_ID, scopes: ['openid', 'email', 'profile', 'groups'] };
  const overrides: Partial<MandateConfigInput> = {
    login: { maxFailures: 100 },
    federation: {
      devAllowedHosts: [`127.0.0.1:${idp.port}`, '127.0.0.1:1'],
      upstreamProviders: [
        {
          ...base,
          id: 'corp',
          displayName: 'Corp SSO',
          clientSecret: { env: 'MANDATE_TEST_IDP_SECRET' },
          emailDomains: ['corp.example'],
          jitProvisioning: true,
          linkByVerifiedEmail: true,
          roleMappings: [{ claim: 'groups', value: 'mandate-admins', role: 'admin' }],
          groupMappings: [
            { claim: 'groups', value: 'engineering', group: 'Engineering' },
            { claim: 'department', value: 'sales', group: 'Sales' },
          ],
          acrMappings: { 'urn:company:mfa': Acr.PasswordTotp },
        },
        { ...base, id: 'strict', displayName: 'Strict SSO', clientSecret: IDP_CLIENT_SECRET, emailDomains: ['strict.example'] },
        // example.com: the domain of the local users test/interaction/support/fixtures.ts creates.
        { ...base, id: 'linker', displayName: 'Linking SSO', clientSecret: IDP_CLIENT_SECRET, emailDomains: ['example.com'], linkByVerifiedEmail: true },
        // Home-realm discovery from the client's login_hint, without the login page.
        { ...base, id: 'hinted', displayName: 'Hinted SSO', clientSecret: IDP_CLIENT_SECRET, emailDomains: ['hinted.example'], jitProvisioning: true, autoRedirectOnLoginHint: true },
        // Nothing listens on port 1: an IdP that is down.
        { ...base, issuer: 'http://127.0.0.1:1', id: 'down', displayName: 'Down SSO', clientSecret: IDP_CLIENT_SECRET },
      ],
    },
  } as Partial<MandateConfigInput>;
  const ts = await startTestServer(overrides, backend);
  idp.register(`${ts.issuer}/sso/callback`);
  const client = await createClient(ts.server.ctx);
  return {
    idp,
    ts,
    client,
    async close() {
      await ts.close();
      await idp.close();
    },
  };
}

export interface StartedLogin {
  interactionUrl: string;
  pkce: Pkce;
}

export async function beginClientAuthorization(world: SsoWorld, browser: TestBrowser, extra: Record<string, string> = {}): Promise<StartedLogin> {
  const p = pkce();
  const interactionUrl = await beginAuthorization(browser, authorizeUrl(world.ts.issuer, validParams(world.client, p.challenge, extra)));
  return { interactionUrl, pkce: p };
}

/** POSTs the SSO form of the login page (a provider button, or the work-email field); returns the 303. */
export async function chooseUpstream(browser: TestBrowser, interactionUrl: string, field: { provider: string } | { email: string }): Promise<Response> {
  const page = await browser.get(interactionUrl);
  const html = await page.text();
  expect(page.status).toBe(200);
  expect(html).toContain('id="sso"');
  return browser.post(`${interactionUrl}/sso`, { csrf: inputValue(html, 'csrf') ?? '', ...field });
}

export interface AtIdp {
  /** Which account signs in at the IdP; `deny` makes the IdP answer access_denied. */
  login?: string;
  deny?: boolean;
  acr?: string;
  /** Alters the authorization request on its way to the IdP (an attacker in the browser). */
  tamper?: (url: URL) => void;
}

/** From the 303 to the IdP to the IdP's redirect back to Mandate: the callback URL (not followed). */
export async function throughIdp(browser: TestBrowser, toIdp: Response, at: AtIdp): Promise<URL> {
  expect(toIdp.status, await toIdp.clone().text()).toBe(303);
  const authUrl = new URL(location(toIdp));
  at.tamper?.(authUrl);
  let res = await browser.get(authUrl.href);
  for (let hop = 0; hop < 8; hop++) {
    const next = new URL(location(res), authUrl);
    if (!next.href.startsWith(authUrl.origin)) return next;
    if (next.pathname.startsWith('/interaction/')) {
      if (at.deny) next.searchParams.set('deny', '1');
      else next.searchParams.set('login', at.login ?? 'nobody');
      if (at.acr) next.searchParams.set('acr', at.acr);
    }
    res = await browser.get(next.href);
  }
  throw new Error('too many redirects at the IdP');
}

/** The whole SSO login: returns Mandate's answer to the callback. */
export async function ssoLogin(browser: TestBrowser, interactionUrl: string, field: { provider: string } | { email: string }, at: AtIdp): Promise<{ callback: URL; res: Response }> {
  const callback = await throughIdp(browser, await chooseUpstream(browser, interactionUrl, field), at);
  return { callback, res: await browser.get(callback.href) };
}

/** Consent (unless remembered), then the code redeemed at Mandate's token endpoint: the ID token's claims. */
export async function finishAtMandate(world: SsoWorld, browser: TestBrowser, started: StartedLogin): Promise<Record<string, unknown>> {
  const next = await browser.get(started.interactionUrl);
  await next.text();
  const back = next.status === 303 ? next : await decideConsent(browser, started.interactionUrl, 'approve');
  const code = new URL(location(back)).searchParams.get('code') ?? '';
  const res = await fetch(`${world.ts.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      code_verifier: started.pkce.verifier,
      client_id: world.client.clientId,
      redirect_uri: world.client.redirectUris[0] as string,
    }),
  });
  const body = (await res.json()) as Record<string, string>;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return JSON.parse(Buffer.from((body.id_token ?? '').split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}
