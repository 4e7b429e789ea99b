import { describe, expect, it } from 'vitest';
import type { ClientRecord } from '../../src/storage/records.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { TestBrowser } from './support/browser.ts';
import { useLoginServer } from './support/login-server.ts';
import { authorizeUrl, createClient, createUser, pkce, totpCode, validParams } from './support/fixtures.ts';
import { beginAuthorization, openPage } from './support/flow.ts';

let ts: TestServer;
let client: ClientRecord;

useLoginServer((server, c) => ((ts = server), (client = c)), { client: { redirectUris: ['https://app.example.com:8443/callback'] } });

function attributes(header: string): { name: string; attrs: string[] } {
  const [pair = '', ...attrs] = header.split(';').map((s) => s.trim());
  return { name: pair.split('=')[0] ?? '', attrs: attrs.map((a) => a.toLowerCase()) };
}

describe('AS-8 cookies: __Host- prefix, Secure, HttpOnly, SameSite=Lax, Path=/, no Domain', () => {
  it('holds for the interaction, pending-login and session cookies', async () => {
    const user = await createUser(ts.server.ctx);
    const browser = new TestBrowser();
    const interactionUrl = await beginAuthorization(browser, authorizeUrl(ts.issuer, validParams(client, pkce().challenge)));
    let page = await openPage(browser, interactionUrl);
    await browser.post(page.action, { csrf: page.csrf, email: user.email, password: user.password });
    page = await openPage(browser, interactionUrl);
    await browser.post(page.action, { csrf: page.csrf, totp: await totpCode(user) });

    const names = new Set<string>();
    for (const header of browser.setCookieHeaders) {
      const { name, attrs } = attributes(header);
      names.add(name);
      expect(name.startsWith('__Host-')).toBe(true);
      expect(attrs).toContain('secure');
      expect(attrs).toContain('httponly');
      expect(attrs).toContain('samesite=lax');
      expect(attrs).toContain('path=/');
      expect(attrs.some((a) => a.startsWith('domain'))).toBe(false);
    }
    expect([...names].sort()).toEqual(['__Host-mandate_interaction', '__Host-mandate_login', '__Host-mandate_session']);
    // The session cookie carries 256 random bits; storage has only their hash.
    expect(browser.cookie('__Host-mandate_session')?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('cookieSecure: false, the explicit opt-out for plain-http deployments', () => {
  it('drops Secure and with it the __Host- prefix, keeping HttpOnly and SameSite', async () => {
    const plain = await startTestServer({ cookieSecure: false });
    try {
      const c = await createClient(plain.server.ctx);
      const browser = new TestBrowser();
      await beginAuthorization(browser, authorizeUrl(plain.issuer, validParams(c, pkce().challenge)));
      const { name, attrs } = attributes(browser.setCookieHeaders[0]!);
      expect(name).toBe('mandate_interaction');
      expect(attrs).not.toContain('secure');
      expect(attrs).toContain('httponly');
      expect(attrs).toContain('samesite=lax');
    } finally {
      await plain.close();
    }
  });
});

describe('AS-8 page headers: frame-ancestors none, form-action, no caching', () => {
  it('login page: CSP with frame-ancestors none, form-action self + the redirect origin, no scripts; no-store', async () => {
    const browser = new TestBrowser();
    const interactionUrl = await beginAuthorization(browser, authorizeUrl(ts.issuer, validParams(client, pkce().challenge)));
    const { res, html } = await openPage(browser, interactionUrl);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("form-action 'self' https://app.example.com:8443");
    expect(csp).not.toContain('script-src');
    expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-type')).toContain('text/html');
    // Accessibility basics: language, labels bound to inputs, one style element, no external assets.
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<label for="email">');
    expect(html).toContain('<label for="password">');
    expect(html.match(/<style>/g)).toHaveLength(1);
    expect(html).not.toMatch(/<(script|img|link)\b/);
  });

  it('error pages carry the same protections', async () => {
    const res = await fetch(`${ts.issuer}/authorize?client_id=unknown`, { redirect: 'manual' });
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('cache-control')).toBe('no-store');
  });
});

describe('RFC 9110 §15.4.4 every processed POST answers 303 See Other', () => {
  it('password (right and wrong), TOTP (right and wrong), consent: all 303', async () => {
    const user = await createUser(ts.server.ctx);
    const browser = new TestBrowser();
    const interactionUrl = await beginAuthorization(browser, authorizeUrl(ts.issuer, validParams(client, pkce().challenge)));
    const statuses: number[] = [];
    let page = await openPage(browser, interactionUrl);
    statuses.push((await browser.post(page.action, { csrf: page.csrf, email: user.email, password: 'nope nope nope' })).status);
    page = await openPage(browser, interactionUrl);
    statuses.push((await browser.post(page.action, { csrf: page.csrf, email: user.email, password: user.password })).status);
    page = await openPage(browser, interactionUrl);
    const good = await totpCode(user);
    statuses.push((await browser.post(page.action, { csrf: page.csrf, totp: good === '000000' ? '111111' : '000000' })).status);
    page = await openPage(browser, interactionUrl);
    statuses.push((await browser.post(page.action, { csrf: page.csrf, totp: good })).status);
    page = await openPage(browser, interactionUrl);
    const last = await browser.post(page.action, { csrf: page.csrf, decision: 'approve' });
    statuses.push(last.status);
    expect(statuses).toEqual([303, 303, 303, 303, 303]);
    expect(last.headers.get('cache-control')).toBe('no-store');
  });

  it('/authorize as POST answers 303 too', async () => {
    const res = await new TestBrowser().post(`${ts.issuer}/authorize`, validParams(client, pkce().challenge) as Record<string, string>);
    expect(res.status).toBe(303);
  });
});
