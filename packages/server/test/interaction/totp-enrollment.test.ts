/**
 * HU-1: email + password only together with a second factor. A user whose password is right but
 * who has no TOTP (accounts from the admin API or SCIM) sets TOTP up during the login; the
 * password alone never yields a session.
 */
import { describe, expect, it } from 'vitest';
import { generate } from 'otplib';
import { Acr } from '@mandate/protocol';
import { sha256 } from '../../src/crypto/hash.ts';
import { PENDING_LOGIN_TTL } from '../../src/interaction/pending-login.ts';
import type { ClientRecord } from '../../src/storage/records.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { TestBrowser } from './support/browser.ts';
import { startAuthorization, useLoginServer } from './support/login-server.ts';
import { authorizeUrl, createUser, legacyPasswordSession, pkce, validParams, type TestUser } from './support/fixtures.ts';
import { enrollmentForm, enrollmentSecret, enrollTotp, location, openPage, submitPassword, submitTotp } from './support/flow.ts';

const SESSION = '__Host-mandate_session';
const PENDING = '__Host-mandate_login';

let ts: TestServer;
let client: ClientRecord;

useLoginServer((server, c) => ((ts = server), (client = c)));

const ctx = () => ts.server.ctx;
const start = (browser: TestBrowser, server: TestServer = ts, c: ClientRecord = client) => startAuthorization(browser, server, c);
/** The code of a secret at the server's clock (step 0 = now). */
const codeOf = (secret: string, step = 0) => generate({ secret, epoch: ctx().now() + step * 30 });
const otherThan = (code: string) => (code === '000000' ? '111111' : '000000');

/** A user without TOTP, past the password in a fresh browser, looking at the enrolment page. */
async function atEnrollment(server: TestServer = ts, c: ClientRecord = client, browser = new TestBrowser()) {
  const user = await createUser(server.server.ctx, { totp: false });
  const interactionUrl = await start(browser, server, c);
  const afterPassword = await submitPassword(browser, interactionUrl, user.email, user.password);
  expect(afterPassword.status).toBe(303);
  expect(location(afterPassword)).toBe(interactionUrl);
  const page = await openPage(browser, interactionUrl);
  return { user, browser, interactionUrl, page, secret: enrollmentSecret(page.html) };
}

async function storedUser(user: TestUser, server: TestServer = ts) {
  return (await server.server.ctx.storage.users.get(user.record.id))!;
}

describe('HU-1 the password alone never signs in', () => {
  it('after the password: no session, the enrolment page with the secret as otpauth:// URI and base32, a CSRF token', async () => {
    const { user, browser, interactionUrl, page, secret } = await atEnrollment();
    expect(browser.cookie(SESSION)).toBeUndefined();
    expect(browser.cookie(PENDING)).toBeDefined();
    expect(page.action).toBe(`${interactionUrl}/totp-enrollment`);
    expect(page.csrf).not.toBe('');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/); // 160 bits (RFC 4226 §4 R6)
    expect(page.html).toContain(`href="otpauth://totp/`);
    expect(page.html).toContain(`secret=${secret}`);
    expect(page.html).toContain('<label for="totp">');
    expect(page.html).toContain('autocomplete="one-time-code"');
    expect(page.res.headers.get('cache-control')).toBe('no-store'); // the page holds a secret
    // The secret waits server-side, encrypted, never in a cookie.
    const row = await ctx().storage.totpEnrollments.get(interactionUrl.split('/').pop()!, ctx().now());
    expect(row).toMatchObject({ userId: user.record.id });
    expect(row!.secretEncrypted).not.toContain(secret);
    expect(JSON.stringify([...browser.jar.values()])).not.toContain(secret);
    expect((await storedUser(user)).totpSecretEncrypted).toBeNull();
    // Showing the page again shows the same secret (the user may have scanned it already).
    expect(enrollmentSecret((await openPage(browser, interactionUrl)).html)).toBe(secret);
    const logins = await ctx().storage.audit.list({ event: 'login', userId: user.record.id, limit: 10 });
    expect(logins.filter((r) => r.result === 'success')).toEqual([]);
  });

  it('a wrong or malformed code: 303 to the enrolment page with a message, nothing stored, no session, audited', async () => {
    const { user, browser, interactionUrl, page, secret } = await atEnrollment();
    const wrong = otherThan(await codeOf(secret));
    const forms: Record<string, string>[] = [{ totp: wrong }, { totp: 'abcdef' }, { totp: '1234567' }, { totp: '9'.repeat(5000) }, {}];
    for (const form of forms) {
      const res = await browser.post(page.action, { ...enrollmentForm(page), ...form });
      expect(res.status).toBe(303);
      expect(location(res)).toBe(`${interactionUrl}?error=totp`);
    }
    const again = await openPage(browser, `${interactionUrl}?error=totp`);
    expect(again.html).toContain('role="alert"');
    expect(enrollmentSecret(again.html)).toBe(secret);
    expect(browser.cookie(SESSION)).toBeUndefined();
    expect((await storedUser(user)).totpSecretEncrypted).toBeNull();
    const rows = await ctx().storage.audit.list({ event: 'login', userId: user.record.id, limit: 10 });
    expect(rows.map((r) => r.reason)).toEqual(Array(5).fill('invalid_totp'));
    expect(JSON.stringify(rows)).not.toContain(secret);
  });

  it('the right code: TOTP stored encrypted, session acr mfa / amr [pwd, otp], enrolment and login audited', async () => {
    const { user, browser, interactionUrl, page, secret } = await atEnrollment();
    const res = await browser.post(page.action, { ...enrollmentForm(page), totp: await codeOf(secret) });
    expect(res.status).toBe(303);
    expect(location(res)).toBe(interactionUrl);
    expect(browser.cookie(PENDING)).toBeUndefined();
    const stored = (await storedUser(user)).totpSecretEncrypted;
    expect(stored).not.toBeNull();
    expect(stored).not.toContain(secret);
    expect(await ctx().envelope.decrypt(stored!, 'totp')).toBe(secret);
    const session = await ctx().storage.sessions.get(sha256(browser.cookie(SESSION)!.value));
    expect(session).toMatchObject({ userId: user.record.id, acr: Acr.PasswordTotp, amr: ['pwd', 'otp'] });
    expect(await ctx().storage.totpEnrollments.get(interactionUrl.split('/').pop()!, ctx().now())).toBeNull();
    const enrolment = await ctx().storage.audit.list({ event: 'totp_enrollment', userId: user.record.id, limit: 10 });
    expect(enrolment).toMatchObject([{ result: 'success', clientId: client.clientId }]);
    expect(JSON.stringify(enrolment)).not.toContain(secret);
    const logins = await ctx().storage.audit.list({ event: 'login', userId: user.record.id, limit: 10 });
    expect(logins).toMatchObject([{ result: 'success', data: { amr: ['pwd', 'otp'] } }]);
    // The consent page follows, as after any login.
    expect((await openPage(browser, interactionUrl)).html).toContain('id="approve"');
  });

  it('the next login asks for a code of the enrolled secret; the enrolment code cannot be replayed there', async () => {
    const { user, browser, interactionUrl } = await atEnrollment();
    const enrolled = await enrollTotp(browser, interactionUrl, user);
    expect(enrolled.status).toBe(303);
    const used = await codeOf(user.totpSecret!);

    const second = new TestBrowser();
    const url = await start(second);
    await submitPassword(second, url, user.email, user.password);
    const page = await openPage(second, url);
    expect(page.html).toContain('id="totp"');
    expect(page.html).not.toContain('totp-secret');
    expect(page.action).toBe(`${url}/totp`);
    // Still inside its window, the code that enrolled is spent (RFC 6238 §5.2).
    expect(location(await submitTotp(second, url, used))).toBe(`${url}?error=totp_reused`);
    const res = await submitTotp(second, url, await codeOf(user.totpSecret!, 1));
    expect(location(res)).toBe(url);
    const session = await ctx().storage.sessions.get(sha256(second.cookie(SESSION)!.value));
    expect(session).toMatchObject({ amr: ['pwd', 'otp'] });
  });

  it('a pending enrolment cannot be completed from another interaction', async () => {
    const { user, browser, secret } = await atEnrollment();
    // The same browser opens a second interaction: its pending login belongs to the first one.
    const otherUrl = await start(browser);
    const otherPage = await openPage(browser, otherUrl);
    expect(otherPage.html).toContain('id="password"');
    const res = await browser.post(`${otherUrl}/totp-enrollment`, { csrf: otherPage.csrf, totp: await codeOf(secret) });
    expect(res.status).toBe(303);
    expect(location(res)).toBe(`${otherUrl}?error=expired`);
    // A password login there gets its own secret; the first one's code does not count for it.
    await submitPassword(browser, otherUrl, user.email, user.password);
    const page = await openPage(browser, otherUrl);
    const otherSecret = enrollmentSecret(page.html);
    expect(otherSecret).not.toBe(secret);
    expect(location(await browser.post(page.action, { ...enrollmentForm(page), totp: await codeOf(secret) }))).toBe(`${otherUrl}?error=totp`);
    expect((await storedUser(user)).totpSecretEncrypted).toBeNull();
    expect(browser.cookie(SESSION)).toBeUndefined();
  });

  it('a pending enrolment expires with the pending login', async () => {
    const { user, browser, interactionUrl, page, secret } = await atEnrollment();
    const realNow = ctx().now;
    ctx().now = () => realNow() + PENDING_LOGIN_TTL + 1;
    try {
      const res = await browser.post(page.action, { ...enrollmentForm(page), totp: await codeOf(secret) });
      expect(res.status).toBe(303);
      expect(location(res)).toBe(`${interactionUrl}?error=expired`);
      expect(await ctx().storage.totpEnrollments.get(interactionUrl.split('/').pop()!, ctx().now())).toBeNull();
    } finally {
      ctx().now = realNow;
    }
    expect(browser.cookie(PENDING)).toBeUndefined();
    expect(browser.cookie(SESSION)).toBeUndefined();
    expect((await storedUser(user)).totpSecretEncrypted).toBeNull();
    expect((await openPage(browser, interactionUrl)).html).toContain('id="password"');
  });

  it('bad requests never 500: no CSRF 403; no pending login, disabled meanwhile or enrolled meanwhile → 303', async () => {
    const { user, browser, interactionUrl, page, secret } = await atEnrollment();
    expect((await browser.post(page.action, { totp: await codeOf(secret) })).status).toBe(403);
    const stranger = new TestBrowser();
    const strangerUrl = await start(stranger);
    const strangerPage = await openPage(stranger, strangerUrl);
    const noPending = await stranger.post(`${strangerUrl}/totp-enrollment`, { csrf: strangerPage.csrf, totp: '123456' });
    expect(location(noPending)).toBe(`${strangerUrl}?error=expired`);
    // A forged pending-login cookie is no pending login.
    stranger.jar.set(PENDING, { name: PENDING, value: 'eyJhbGciOiJkaXIifQ..x.y.z', attributes: [] });
    expect(location(await stranger.post(`${strangerUrl}/totp-enrollment`, { csrf: strangerPage.csrf, totp: '123456' }))).toBe(`${strangerUrl}?error=expired`);

    // Enrolled meanwhile (e.g. through the admin API): the enrolment does not overwrite it.
    const other = await ctx().envelope.encrypt('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', 'totp');
    await ctx().storage.users.update({ ...(await storedUser(user)), totpSecretEncrypted: other });
    const res = await browser.post(page.action, { ...enrollmentForm(page), totp: await codeOf(secret) });
    expect(location(res)).toBe(interactionUrl);
    expect((await storedUser(user)).totpSecretEncrypted).toBe(other);
    expect((await openPage(browser, interactionUrl)).html).not.toContain('totp-secret');
    expect(browser.cookie(SESSION)).toBeUndefined();

    const disabled = await atEnrollment();
    await ctx().storage.users.update({ ...(await storedUser(disabled.user)), disabled: true });
    const refused = await disabled.browser.post(disabled.page.action, { ...enrollmentForm(disabled.page), totp: await codeOf(disabled.secret) });
    expect(location(refused)).toBe(`${disabled.interactionUrl}?error=expired`);
    expect((await storedUser(disabled.user)).totpSecretEncrypted).toBeNull();
  });
});

describe('HU-1 an account with a passkey and no TOTP', () => {
  it('is sent to the passkey step after the password: no pending login, no TOTP enrolment', async () => {
    const user = await createUser(ctx(), { totp: false });
    const t = ctx().now();
    await ctx().storage.passkeys.create({
      credentialId: `cred-${user.record.id}`,
      userId: user.record.id,
      publicKey: 'pQECAyYgASFYIA',
      counter: 0,
      transports: [],
      deviceType: 'singleDevice',
      backedUp: false,
      aaguid: '00000000-0000-0000-0000-000000000000',
      name: 'Laptop',
      createdAt: t,
      lastUsedAt: null,
    });
    const browser = new TestBrowser();
    const interactionUrl = await start(browser);
    const res = await submitPassword(browser, interactionUrl, user.email, user.password);
    expect(res.status).toBe(303);
    expect(location(res)).toBe(`${interactionUrl}/passkey?error=passkey_required`);
    expect(browser.cookie(PENDING)).toBeUndefined();
    expect(browser.cookie(SESSION)).toBeUndefined();
    const passkeyPage = await browser.get(location(res));
    expect(await passkeyPage.text()).toContain('This account signs in with a passkey.');
    expect(await ctx().storage.totpEnrollments.get(interactionUrl.split('/').pop()!, ctx().now())).toBeNull();
  });
});

describe('HU-1 password-only sessions from before enforcement', () => {
  it('count as no session: prompt=none → login_required, otherwise the login page', async () => {
    const user = await createUser(ctx(), { totp: false });
    const browser = new TestBrowser();
    await legacyPasswordSession(ctx(), browser, user);
    const silent = await browser.get(authorizeUrl(ts.issuer, validParams(client, pkce().challenge, { prompt: 'none' })));
    expect(silent.status).toBe(303);
    expect(new URL(location(silent)).searchParams.get('error')).toBe('login_required');
    const interactionUrl = await start(browser);
    expect((await openPage(browser, interactionUrl)).html).toContain('id="password"');
  });
});

describe('enrolment failures are rate limited like TOTP failures', () => {
  let limited: TestServer;
  let limitedClient: ClientRecord;
  useLoginServer((server, c) => ((limited = server), (limitedClient = c)), { maxFailures: 3 });

  it('past maxFailures even the right code is refused with 429 and nothing is stored', async () => {
    const { user, browser, page, secret } = await atEnrollment(limited, limitedClient, new TestBrowser('127.0.0.30'));
    const good = await generate({ secret, epoch: limited.server.ctx.now() });
    for (let i = 0; i < 3; i++) expect((await browser.post(page.action, { ...enrollmentForm(page), totp: otherThan(good) })).status).toBe(303);
    const res = await browser.post(page.action, { ...enrollmentForm(page), totp: good });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await storedUser(user, limited)).totpSecretEncrypted).toBeNull();
    expect(browser.cookie(SESSION)).toBeUndefined();
  });
});
