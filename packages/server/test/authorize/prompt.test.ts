import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Acr } from '@mandate/protocol';
import { sha256 } from '../../src/crypto/hash.ts';
import type { ClientRecord } from '../../src/storage/records.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { TestBrowser } from '../interaction/support/browser.ts';
import { authorizeUrl, createClient, createUser, legacyPasswordSession, pkce, validParams, type TestUser } from '../interaction/support/fixtures.ts';
import { authorizeToRedirect, beginAuthorization, location, openPage, redirectParams, signIn, decideConsent } from '../interaction/support/flow.ts';

let ts: TestServer;
let client: ClientRecord;

beforeAll(async () => {
  ts = await startTestServer();
  client = await createClient(ts.server.ctx);
});
afterAll(() => ts.close());

const url = (extra: Record<string, string | undefined> = {}) => authorizeUrl(ts.issuer, validParams(client, pkce().challenge, extra));

/** A browser with a live session and a remembered consent for `openid profile`. */
async function signedInBrowser(user?: TestUser): Promise<{ browser: TestBrowser; user: TestUser }> {
  const u = user ?? (await createUser(ts.server.ctx));
  const browser = new TestBrowser();
  const res = await authorizeToRedirect(browser, url(), u);
  expect(redirectParams(res).get('code')).toBeTruthy();
  return { browser, user: u };
}

async function codeRecord(res: Response) {
  const code = redirectParams(res).get('code') ?? '';
  return (await ts.server.ctx.storage.codes.consume(sha256(code), ts.server.ctx.now()))?.record;
}

describe('OIDC Core §3.1.2.1 prompt=none', () => {
  it('without a session → login_required, redirected with state and iss', async () => {
    const res = await new TestBrowser().get(url({ prompt: 'none', state: 'xyz' }));
    expect(res.status).toBe(303);
    const q = redirectParams(res);
    expect(q.get('error')).toBe('login_required');
    expect(q.get('state')).toBe('xyz');
    expect(q.get('iss')).toBe(ts.issuer);
  });

  it('with a session but no consent covering the request → consent_required', async () => {
    const { browser } = await signedInBrowser();
    const res = await browser.get(url({ prompt: 'none', scope: 'openid profile email' }));
    expect(redirectParams(res).get('error')).toBe('consent_required');
    expect(redirectParams(res).get('iss')).toBe(ts.issuer);
  });

  it('with a session and a remembered consent → the code at once, without any page', async () => {
    const { browser, user } = await signedInBrowser();
    const res = await browser.get(url({ prompt: 'none', state: 's1' }));
    expect(res.status).toBe(303);
    const q = redirectParams(res);
    expect(q.get('code')).toBeTruthy();
    expect(q.get('state')).toBe('s1');
    expect(q.get('iss')).toBe(ts.issuer);
    expect((await codeRecord(res))?.userId).toBe(user.record.id);
  });

  it('when max_age is exceeded → login_required', async () => {
    const { browser } = await signedInBrowser();
    await new Promise((r) => setTimeout(r, 1100));
    const res = await browser.get(url({ prompt: 'none', max_age: '0' }));
    expect(redirectParams(res).get('error')).toBe('login_required');
  });
});

describe('OIDC Core §3.1.2.1 prompt=login, select_account and max_age force a new login', () => {
  it('a live session is reused when nothing forces a login', async () => {
    const { browser } = await signedInBrowser();
    const interactionUrl = await beginAuthorization(browser, url({ max_age: '3600' }));
    const res = await browser.get(interactionUrl);
    expect(res.status).toBe(303);
    expect(redirectParams(res).get('code')).toBeTruthy();
  });

  it('prompt=login shows the login page despite the session; the new login gives a new auth_time and session', async () => {
    const { browser, user } = await signedInBrowser();
    const oldSession = browser.cookie('__Host-mandate_session')?.value;
    const oldAuthTime = (await ts.server.ctx.storage.sessions.get(sha256(oldSession!)))!.authTime;
    await new Promise((r) => setTimeout(r, 1100));
    const interactionUrl = await beginAuthorization(browser, url({ prompt: 'login' }));
    const page = await openPage(browser, interactionUrl);
    expect(page.html).toContain('id="password"');
    // TOTP codes are single use: the second login takes the next step's code.
    await signInWithNextCode(browser, interactionUrl, user);
    const res = await browser.get(interactionUrl);
    expect(res.status).toBe(303);
    const record = await codeRecord(res);
    expect(record!.authTime).toBeGreaterThan(oldAuthTime);
    expect(browser.cookie('__Host-mandate_session')?.value).not.toBe(oldSession);
    expect(record?.sessionIdHash).toBe(sha256(browser.cookie('__Host-mandate_session')!.value));
    // The replaced session is revoked (no session fixation, no second live session).
    const old = await ts.server.ctx.storage.sessions.get(sha256(oldSession!));
    expect(old?.revokedAt).not.toBeNull();
  });

  it('prompt=select_account shows the login page as well', async () => {
    const { browser } = await signedInBrowser();
    const interactionUrl = await beginAuthorization(browser, url({ prompt: 'select_account' }));
    expect((await openPage(browser, interactionUrl)).html).toContain('id="password"');
  });

  it('max_age=0 after time has passed shows the login page; logging in then completes (no loop)', async () => {
    const { browser, user } = await signedInBrowser();
    await new Promise((r) => setTimeout(r, 1100));
    const interactionUrl = await beginAuthorization(browser, url({ max_age: '0' }));
    expect((await openPage(browser, interactionUrl)).html).toContain('id="password"');
    await signInWithNextCode(browser, interactionUrl, user);
    const res = await browser.get(interactionUrl);
    expect(res.status).toBe(303);
    expect(redirectParams(res).get('code')).toBeTruthy();
  });
});

describe('OIDC Core §3.1.2.1 acr_values', () => {
  it('a password-only session (from before HU-1 enforcement) does not satisfy a request for MFA: the login page is shown again', async () => {
    const { browser, user } = await signedInBrowser();
    await legacyPasswordSession(ts.server.ctx, browser, user);
    const interactionUrl = await beginAuthorization(browser, url({ acr_values: Acr.PasswordTotp }));
    expect((await openPage(browser, interactionUrl)).html).toContain('id="password"');
    await signInWithNextCode(browser, interactionUrl, user);
    const res = await browser.get(interactionUrl);
    expect((await codeRecord(res))?.acr).toBe(Acr.PasswordTotp);
  });

  it('a user without TOTP cannot reach a password-only class: the login sets TOTP up and the code says mfa', async () => {
    const user = await createUser(ts.server.ctx, { totp: false });
    const browser = new TestBrowser();
    const interactionUrl = await beginAuthorization(browser, url({ acr_values: Acr.Password }));
    await signIn(browser, interactionUrl, user);
    const res = await decideConsent(browser, interactionUrl, 'approve');
    expect((await codeRecord(res))?.acr).toBe(Acr.PasswordTotp);
  });

  it('a password + TOTP session satisfies acr_values asking for it, or for less', async () => {
    const { browser } = await signedInBrowser();
    for (const acr of [Acr.PasswordTotp, `${Acr.Password} ${Acr.PasswordTotp}`, 'urn:unknown:acr']) {
      const interactionUrl = await beginAuthorization(browser, url({ acr_values: acr }));
      const res = await browser.get(interactionUrl);
      expect(res.status).toBe(303);
      expect((await codeRecord(res))?.acr).toBe(Acr.PasswordTotp);
    }
  });
});

describe('OIDC Core §3.1.2.1 prompt=consent', () => {
  it('shows the consent page even though a remembered consent covers the request', async () => {
    const { browser } = await signedInBrowser();
    const interactionUrl = await beginAuthorization(browser, url({ prompt: 'consent' }));
    const page = await openPage(browser, interactionUrl);
    expect(page.html).toContain('id="approve"');
    const res = await decideConsent(browser, interactionUrl, 'approve');
    expect(redirectParams(res).get('code')).toBeTruthy();
  });
});

async function signInWithNextCode(browser: TestBrowser, interactionUrl: string, user: TestUser): Promise<void> {
  const { generate } = await import('otplib');
  const page = await openPage(browser, interactionUrl);
  const afterPassword = await browser.post(page.action, { csrf: page.csrf, email: user.email, password: user.password });
  expect(location(afterPassword)).toBe(interactionUrl);
  const totpPage = await openPage(browser, interactionUrl);
  const code = await generate({ secret: user.totpSecret!, epoch: Math.floor(Date.now() / 1000) + 30 });
  const res = await browser.post(totpPage.action, { csrf: totpPage.csrf, totp: code });
  expect(res.status).toBe(303);
  expect(location(res)).toBe(interactionUrl);
}
