/**
 * WebAuthn L3 §7.2 authentication ceremony at the HTTP level: signing in with a passkey from the
 * login page (a discoverable credential, the user handle names the account), and every refusal
 * the server must make — replayed challenges, another origin or RP ID, a counter that did not
 * grow, an unknown credential, no user verification, a changed backup eligibility.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Acr } from '@mandate/protocol';
import { sha256 } from '../../src/crypto/hash.ts';
import type { ClientRecord } from '../../src/storage/records.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { TestBrowser } from '../interaction/support/browser.ts';
import { createClient, createUser, type TestUser } from '../interaction/support/fixtures.ts';
import { authorizeToRedirect, beginAuthorization, location, openPage, redirectParams } from '../interaction/support/flow.ts';
import { SoftwareAuthenticator, type Falsify } from './support/authenticator.ts';
import { WEBAUTHN_COOKIE, assertPasskey, authorization, expectBackTo, openCeremony, registerPasskey, startPasskeyServer } from './support/flow.ts';

let ts: TestServer;
let client: ClientRecord;

beforeAll(async () => {
  ts = await startPasskeyServer();
  client = await createClient(ts.server.ctx);
});
afterAll(() => ts.close());

/** A user with a registered passkey (enrolled after a password + TOTP sign-in). */
async function enrolledUser(options: { backupEligible?: boolean; backedUp?: boolean } = {}): Promise<{ user: TestUser; authenticator: SoftwareAuthenticator }> {
  const user = await createUser(ts.server.ctx);
  const browser = new TestBrowser();
  await authorizeToRedirect(browser, authorization(ts, client).url, user);
  const authenticator = new SoftwareAuthenticator(ts.issuer, options);
  expect((await registerPasskey(ts, browser, authenticator)).status).toBe(303);
  return { user, authenticator };
}

async function codeRecord(res: Response) {
  const code = redirectParams(res).get('code') ?? '';
  return (await ts.server.ctx.storage.codes.consume(sha256(code), ts.server.ctx.now()))?.record;
}

async function loginFailures(userId: string | null) {
  const rows = await ts.server.ctx.storage.audit.list({ event: 'login', limit: 10_000 });
  return rows.filter((r) => r.result === 'failure' && (userId === null || r.userId === userId)).map((r) => r.reason);
}

/** A fresh browser at the passkey sign-in page of a new interaction. */
async function atPasskeyPage(): Promise<{ browser: TestBrowser; interactionUrl: string; passkeyUrl: string }> {
  const browser = new TestBrowser();
  const interactionUrl = await beginAuthorization(browser, authorization(ts, client).url);
  const login = await openPage(browser, interactionUrl);
  const link = /<a href="([^"]+)" id="passkey-sign-in">/.exec(login.html)?.[1];
  expect(link).toBe(`${interactionUrl}/passkey`);
  return { browser, interactionUrl, passkeyUrl: `${interactionUrl}/passkey` };
}

describe('WebAuthn L3 §7.2 signing in with a passkey', () => {
  it('from the login page: a discoverable credential signs the user in at the phishing-resistant class (amr hwk + user)', async () => {
    const { user, authenticator } = await enrolledUser();
    const { browser, interactionUrl, passkeyUrl } = await atPasskeyPage();
    const page = await openCeremony(browser, passkeyUrl);
    expect(page.options).toMatchObject({ rpId: 'localhost', userVerification: 'required', allowCredentials: [] });
    expectBackTo(await assertPasskey(browser, passkeyUrl, authenticator), interactionUrl);
    // The consent given at enrolment covers the request: straight back to the client.
    const code = await codeRecord(await browser.get(interactionUrl));
    expect(code).toMatchObject({ userId: user.record.id, acr: Acr.Passkey, amr: ['hwk', 'user'] });
    const stored = await ts.server.ctx.storage.passkeys.get(authenticator.id);
    expect(stored).toMatchObject({ counter: 1 });
    expect(stored?.lastUsedAt).not.toBeNull();
  });

  it('RFC 8176: a synced (backup-eligible) passkey is a software-secured key: amr swk + user, same class', async () => {
    const { authenticator } = await enrolledUser({ backupEligible: true, backedUp: true });
    const { browser, interactionUrl, passkeyUrl } = await atPasskeyPage();
    expectBackTo(await assertPasskey(browser, passkeyUrl, authenticator), interactionUrl);
    const code = await codeRecord(await browser.get(interactionUrl));
    expect(code).toMatchObject({ acr: Acr.Passkey, amr: ['swk', 'user'] });
  });

  it('§13.4.3 a replayed assertion is refused, even with the original challenge cookie', async () => {
    const { user, authenticator } = await enrolledUser();
    const { browser, interactionUrl, passkeyUrl } = await atPasskeyPage();
    const page = await openCeremony(browser, passkeyUrl);
    const cookie = browser.cookie(WEBAUTHN_COOKIE)!;
    const body = { csrf: page.csrf, credential: JSON.stringify(authenticator.authenticate(page.options)) };
    expectBackTo(await browser.post(page.action, body), interactionUrl);
    // Another browser (no session yet) replays the captured post and cookie of this interaction.
    const replayer = new TestBrowser();
    for (const c of browser.jar.values()) if (c.name !== '__Host-mandate_session') replayer.jar.set(c.name, c);
    replayer.jar.set(WEBAUTHN_COOKIE, cookie);
    const replay = await replayer.post(page.action, body);
    expect(location(replay)).toBe(`${passkeyUrl}?error=passkey_expired`);
    expect(replayer.cookie('__Host-mandate_session')).toBeUndefined();
    expect(await loginFailures(null)).toContain('passkey_challenge');
    expect((await ts.server.ctx.storage.passkeys.get(authenticator.id))?.userId).toBe(user.record.id);
  });

  const refusals: [string, Falsify, string][] = [
    ['another origin (a phishing site relaying the ceremony)', { origin: 'http://localhost.evil.example' }, 'passkey_invalid_assertion'],
    ['another RP ID', { rpId: 'evil.example' }, 'passkey_invalid_assertion'],
    ['a challenge the server did not issue', { challenge: Buffer.from('forged').toString('base64url') }, 'passkey_invalid_assertion'],
    ['no user verification (UV flag clear)', { userVerified: false }, 'passkey_invalid_assertion'],
    ['a signature counter that did not grow (a cloned authenticator)', { counter: 1 }, 'passkey_counter_regression'],
    ['a changed backup eligibility (BE is fixed at creation)', { backupEligible: true }, 'passkey_backup_eligibility_changed'],
  ];
  it.each(refusals)('refuses %s: no session, audited with the reason', async (_name, falsify, reason) => {
    const { user, authenticator } = await enrolledUser();
    if (reason === 'passkey_counter_regression') {
      // One good use first, so the stored counter is 1 and a repeated 1 is a regression.
      const first = await atPasskeyPage();
      expectBackTo(await assertPasskey(first.browser, first.passkeyUrl, authenticator), first.interactionUrl);
    }
    const { browser, passkeyUrl } = await atPasskeyPage();
    const res = await assertPasskey(browser, passkeyUrl, authenticator, falsify);
    expect(location(res)).toBe(`${passkeyUrl}?error=passkey`);
    expect(browser.cookie('__Host-mandate_session')).toBeUndefined();
    expect(await loginFailures(user.record.id)).toContain(reason);
    const page = await openPage(browser, location(res));
    expect(page.html).toContain('The passkey could not be verified.');
  });

  it('refuses an unknown credential (never registered here)', async () => {
    const stranger = new SoftwareAuthenticator(ts.issuer);
    const { browser, passkeyUrl } = await atPasskeyPage();
    const res = await assertPasskey(browser, passkeyUrl, stranger);
    expect(location(res)).toBe(`${passkeyUrl}?error=passkey`);
    expect(browser.cookie('__Host-mandate_session')).toBeUndefined();
    expect(await loginFailures(null)).toContain('passkey_unknown_credential');
  });

  it('refuses a user handle that names another account than the credential belongs to', async () => {
    const { authenticator } = await enrolledUser();
    authenticator.userHandle = Buffer.from('usr_someone_else').toString('base64url');
    const { browser, passkeyUrl } = await atPasskeyPage();
    const res = await assertPasskey(browser, passkeyUrl, authenticator);
    expect(location(res)).toBe(`${passkeyUrl}?error=passkey_user`);
    expect(browser.cookie('__Host-mandate_session')).toBeUndefined();
  });

  it('refuses a post without a challenge cookie, and a malformed credential', async () => {
    const { authenticator } = await enrolledUser();
    const { browser, passkeyUrl } = await atPasskeyPage();
    const page = await openCeremony(browser, passkeyUrl);
    browser.jar.delete(WEBAUTHN_COOKIE);
    const noCookie = await browser.post(page.action, { csrf: page.csrf, credential: JSON.stringify(authenticator.authenticate(page.options)) });
    expect(location(noCookie)).toBe(`${passkeyUrl}?error=passkey_expired`);
    await openCeremony(browser, passkeyUrl);
    const malformed = await browser.post(page.action, { csrf: page.csrf, credential: '{"id":"x","rawId":"x","type":"public-key"}' });
    expect(location(malformed)).toBe(`${passkeyUrl}?error=passkey`);
    expect(await loginFailures(null)).toContain('passkey_malformed');
  });
});
