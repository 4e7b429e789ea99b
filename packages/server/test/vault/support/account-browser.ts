/**
 * A browser signed in at the test server (a live session record and its cookie, as a login would
 * leave), and the /account/vault page read through it.
 */
import { expect } from 'vitest';
import { randomToken, sha256 } from '../../../src/crypto/hash.ts';
import type { UserRecord } from '../../../src/storage/records.ts';
import type { TestServer } from '../../helpers/test-server.ts';
import { inputValue, TestBrowser } from '../../interaction/support/browser.ts';

const SESSION = '__Host-mandate_session';

export async function signedInBrowser(ts: TestServer, user: UserRecord): Promise<TestBrowser> {
  const ctx = ts.server.ctx;
  const token = randomToken();
  const now = ctx.now();
  await ctx.storage.sessions.create({ idHash: sha256(token), userId: user.id, authTime: now, acr: 'urn:mandate:acr:mfa', amr: ['pwd', 'otp'], createdAt: now, expiresAt: now + 3600, revokedAt: null });
  const browser = new TestBrowser();
  browser.jar.set(SESSION, { name: SESSION, value: token, attributes: [] });
  return browser;
}

/** The linked-accounts page: 200, its CSRF token and HTML. */
export async function vaultPage(ts: TestServer, browser: TestBrowser, query = ''): Promise<{ csrf: string; html: string }> {
  const res = await browser.get(`${ts.issuer}/account/vault${query}`);
  const html = await res.text();
  expect(res.status, html.slice(0, 300)).toBe(200);
  return { csrf: inputValue(html, 'csrf') ?? '', html };
}

/** The `<li>` of one connection on the page. */
export function itemOf(html: string, connectionId: string): string {
  const start = html.indexOf(`<li data-connection="${connectionId}">`);
  expect(start, `no item for ${connectionId}`).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf('</li>', start));
}
