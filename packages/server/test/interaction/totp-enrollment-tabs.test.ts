/**
 * HU-1 TOTP enrolment with several tabs: a pending secret is bound to the page that showed it
 * (the form carries its id). Tabs of one password login show and accept the same secret; a newer
 * login replaces it, and an older page is then told so instead of having its code refused as wrong;
 * completing the enrolment ends every pending enrolment of the user (interaction/totp-enrollment.ts).
 */
import { describe, expect, it } from 'vitest';
import { generate } from 'otplib';
import type { ClientRecord } from '../../src/storage/records.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { TestBrowser } from './support/browser.ts';
import { startAuthorization, useLoginServer } from './support/login-server.ts';
import { createUser, type TestUser } from './support/fixtures.ts';
import { enrollmentForm, enrollmentSecret, location, openPage, submitPassword } from './support/flow.ts';

const SESSION = '__Host-mandate_session';

let ts: TestServer;
let client: ClientRecord;

useLoginServer((server, c) => ((ts = server), (client = c)));

const ctx = () => ts.server.ctx;
const start = (browser: TestBrowser) => startAuthorization(browser, ts, client);
const codeOf = (secret: string) => generate({ secret, epoch: ctx().now() });
const storedUser = async (user: TestUser) => (await ctx().storage.users.get(user.record.id))!;

/** A user without TOTP, past the password in a fresh browser, looking at the enrolment page. */
async function atEnrollment() {
  const user = await createUser(ctx(), { totp: false });
  const browser = new TestBrowser();
  const interactionUrl = await start(browser);
  await submitPassword(browser, interactionUrl, user.email, user.password);
  const page = await openPage(browser, interactionUrl);
  return { user, browser, interactionUrl, page, secret: enrollmentSecret(page.html) };
}

describe('HU-1 TOTP enrolment in several tabs', () => {
  it('two tabs opening the enrolment page at once show one secret, and the first tab\'s code completes the enrolment', async () => {
    const user = await createUser(ctx(), { totp: false });
    const browser = new TestBrowser();
    const interactionUrl = await start(browser);
    await submitPassword(browser, interactionUrl, user.email, user.password);
    const tabs = await Promise.all([1, 2, 3].map(() => openPage(browser, interactionUrl)));
    const [first, ...others] = tabs;
    for (const tab of others) {
      expect(enrollmentSecret(tab.html)).toBe(enrollmentSecret(first!.html));
      expect(enrollmentForm(tab)).toEqual(enrollmentForm(first!));
    }
    // A tab that raced past the read and stores its own secret for the same login changes nothing.
    const interactionId = interactionUrl.split('/').pop()!;
    const row = (await ctx().storage.totpEnrollments.get(interactionId, ctx().now()))!;
    const purpose = `totp-enrollment:${interactionId}:${row.userId}:${row.loginAt}`;
    await ctx().storage.totpEnrollments.put({ ...row, secretEncrypted: await ctx().envelope.encrypt('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', purpose) });
    const secret = enrollmentSecret(first!.html);
    const res = await browser.post(first!.action, { ...enrollmentForm(first!), totp: await codeOf(secret) });
    expect(location(res)).toBe(interactionUrl);
    expect(await ctx().envelope.decrypt((await storedUser(user)).totpSecretEncrypted!, 'totp')).toBe(secret);
    expect(browser.cookie(SESSION)).toBeDefined();
  });

  it('a newer password login in another tab replaces the key: the first tab is told so, not that its code is wrong', async () => {
    const user = await createUser(ctx(), { totp: false });
    const browser = new TestBrowser();
    const interactionUrl = await start(browser);
    const loginTab = await openPage(browser, interactionUrl); // the second tab, still on the login page
    await submitPassword(browser, interactionUrl, user.email, user.password);
    const firstTab = await openPage(browser, interactionUrl);
    const firstSecret = enrollmentSecret(firstTab.html);
    const realNow = ctx().now;
    ctx().now = () => realNow() + 1; // the second password login comes a moment later
    try {
      await browser.post(loginTab.action, { csrf: loginTab.csrf, email: user.email, password: user.password });
      const secondTab = await openPage(browser, interactionUrl);
      expect(enrollmentSecret(secondTab.html)).not.toBe(firstSecret);
      const res = await browser.post(firstTab.action, { ...enrollmentForm(firstTab), totp: await codeOf(firstSecret) });
      expect(res.status).toBe(303);
      expect(location(res)).toBe(`${interactionUrl}?error=totp_key_replaced`);
      const shown = await openPage(browser, location(res));
      expect(shown.html).toContain('That setup key is no longer valid');
      expect(enrollmentSecret(shown.html)).toBe(enrollmentSecret(secondTab.html));
      // No code was checked: no failure audited, and the second tab's code still completes.
      expect(await ctx().storage.audit.list({ event: 'login', userId: user.record.id, limit: 10 })).toEqual([]);
      const done = await browser.post(secondTab.action, { ...enrollmentForm(secondTab), totp: await codeOf(enrollmentSecret(secondTab.html)) });
      expect(location(done)).toBe(interactionUrl);
      expect(browser.cookie(SESSION)).toBeDefined();
    } finally {
      ctx().now = realNow;
    }
  });

  it('completing the enrolment ends the pending enrolments of the same user in other interactions', async () => {
    const { user, browser, interactionUrl, page, secret } = await atEnrollment();
    const other = new TestBrowser();
    const otherUrl = await start(other);
    await submitPassword(other, otherUrl, user.email, user.password);
    const otherPage = await openPage(other, otherUrl);
    const otherId = otherUrl.split('/').pop()!;
    expect(await ctx().storage.totpEnrollments.get(otherId, ctx().now())).not.toBeNull();
    expect(location(await browser.post(page.action, { ...enrollmentForm(page), totp: await codeOf(secret) }))).toBe(interactionUrl);
    expect(await ctx().storage.totpEnrollments.get(otherId, ctx().now())).toBeNull();
    // The other page's key never becomes the account's: that browser is asked for a code of the enrolled one.
    const res = await other.post(otherPage.action, { ...enrollmentForm(otherPage), totp: await codeOf(enrollmentSecret(otherPage.html)) });
    expect(location(res)).toBe(otherUrl);
    expect(await ctx().envelope.decrypt((await storedUser(user)).totpSecretEncrypted!, 'totp')).toBe(secret);
    expect((await openPage(other, otherUrl)).html).toContain('id="totp"');
  });

});
