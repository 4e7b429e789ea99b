/**
 * Driving the passkey pages over real HTTP: the account page (registration) and the passkey
 * step of an interaction, with the ceremony options read from the page exactly as the page's
 * script reads them (the `data-options` attribute of `#passkey-form`).
 */
import { expect } from 'vitest';
import type { ClientRecord } from '../../../src/storage/records.ts';
import { startTestServer, type Backend, type TestServer } from '../../helpers/test-server.ts';
import { inputValue, type TestBrowser } from '../../interaction/support/browser.ts';
import { authorizeUrl, pkce, validParams, type Pkce } from '../../interaction/support/fixtures.ts';
import { location } from '../../interaction/support/flow.ts';
import type { Falsify, SoftwareAuthenticator } from './authenticator.ts';

export const WEBAUTHN_COOKIE = '__Host-mandate_webauthn';

/** WebAuthn needs a domain RP ID: the issuer is http://localhost:<port>. */
export function startPasskeyServer(backend: Backend = 'sqlite'): Promise<TestServer> {
  return startTestServer({ login: { maxFailures: 1000 } }, backend, { hostname: 'localhost' });
}

function unescapeHtml(value: string): string {
  return value.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

export interface CeremonyPage {
  status: number;
  html: string;
  csrf: string;
  action: string;
  ceremony: 'get' | 'create';
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  options: any;
}

export async function openCeremony(browser: TestBrowser, url: string): Promise<CeremonyPage> {
  const res = await browser.get(url);
  const html = await res.text();
  expect(res.status, html.slice(0, 400)).toBe(200);
  const form = /<form method="post" action="([^"]+)" id="passkey-form" data-ceremony="(get|create)" data-options="([^"]+)">/.exec(html);
  if (!form) throw new Error(`no passkey form: ${html.slice(0, 400)}`);
  return {
    status: res.status,
    html,
    csrf: inputValue(html, 'csrf') ?? '',
    action: unescapeHtml(form[1] as string),
    ceremony: form[2] as 'get' | 'create',
    options: JSON.parse(unescapeHtml(form[3] as string)),
  };
}

export function accountUrl(ts: TestServer): string {
  return `${ts.issuer}/account/passkeys`;
}

/** The account page's registration ceremony; returns the 303 after the post. */
export async function registerPasskey(ts: TestServer, browser: TestBrowser, authenticator: SoftwareAuthenticator, falsify: Falsify = {}): Promise<Response> {
  const page = await openCeremony(browser, accountUrl(ts));
  expect(page.ceremony).toBe('create');
  const credential = authenticator.register(page.options, falsify);
  return browser.post(page.action, { csrf: page.csrf, credential: JSON.stringify(credential), name: 'Test key' });
}

/** Signs the passkey page of an interaction (or any passkey page URL); returns the 303 after the post. */
export async function assertPasskey(browser: TestBrowser, pageUrl: string, authenticator: SoftwareAuthenticator, falsify: Falsify = {}): Promise<Response> {
  const page = await openCeremony(browser, pageUrl);
  expect(page.ceremony).toBe('get');
  return browser.post(page.action, { csrf: page.csrf, credential: JSON.stringify(authenticator.authenticate(page.options, falsify)) });
}

export interface AuthorizationStart {
  url: string;
  pkce: Pkce;
}

export function authorization(ts: TestServer, client: ClientRecord, extra: Record<string, string | undefined> = {}): AuthorizationStart {
  const p = pkce();
  return { url: authorizeUrl(ts.issuer, validParams(client, p.challenge, extra)), pkce: p };
}

/** The redirect's `Location` when it goes back to the interaction page. */
export function expectBackTo(res: Response, url: string): void {
  expect(res.status).toBe(303);
  expect(location(res)).toBe(url);
}

/** POST /token for a public client: the access token's claims and the ID token's claims. */
export async function redeem(ts: TestServer, client: ClientRecord, code: string, verifier: string): Promise<{ access: Record<string, unknown>; id: Record<string, unknown> }> {
  const res = await fetch(`${ts.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, client_id: client.clientId, redirect_uri: client.redirectUris[0] as string }),
  });
  const body = (await res.json()) as Record<string, string>;
  expect(res.status, JSON.stringify(body)).toBe(200);
  const claims = (jwt: string | undefined) => JSON.parse(Buffer.from((jwt ?? '').split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  return { access: claims(body.access_token), id: claims(body.id_token) };
}
