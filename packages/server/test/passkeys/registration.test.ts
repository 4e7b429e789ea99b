/**
 * WebAuthn L3 §7.1 registration ceremony at the HTTP level: the account page issues the options
 * (challenge bound to the session), the software authenticator answers, and the server's real
 * verifier (@simplewebauthn/server) decides. Every refusal leaves nothing stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientRecord } from '../../src/storage/records.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { TestBrowser } from '../interaction/support/browser.ts';
import { authorizeUrl, createClient, createUser, legacyPasswordSession, pkce, validParams, type TestUser } from '../interaction/support/fixtures.ts';
import { authorizeToRedirect, location, redirectParams } from '../interaction/support/flow.ts';
import { SoftwareAuthenticator } from './support/authenticator.ts';
import { WEBAUTHN_COOKIE, accountUrl, openCeremony, registerPasskey, startPasskeyServer } from './support/flow.ts';

let ts: TestServer;
let client: ClientRecord;

beforeAll(async () => {
  ts = await startPasskeyServer();
  client = await createClient(ts.server.ctx);
});
afterAll(() => ts.close());

async function signedIn(options: { totp?: boolean } = {}): Promise<{ browser: TestBrowser; user: TestUser }> {
  const user = await createUser(ts.server.ctx, options);
  const browser = new TestBrowser();
  const res = await authorizeToRedirect(browser, authorizeUrl(ts.issuer, validParams(client, pkce().challenge)), user);
  expect(redirectParams(res).get('code')).toBeTruthy();
  return { browser, user };
}

const passkeysOf = (userId: string) => ts.server.ctx.storage.passkeys.listForUser(userId);

describe('WebAuthn L3 §7.1 registration ceremony', () => {
  it('a user signed in with password + TOTP adds a passkey: stored with its key, counter and flags, listed, audited', async () => {
    const { browser, user } = await signedIn();
    const page = await openCeremony(browser, accountUrl(ts));
    expect(page.options.rp).toEqual({ id: 'localhost', name: 'Mandate' });
    expect(page.options.authenticatorSelection).toMatchObject({ residentKey: 'required', userVerification: 'required' });
    const authenticator = new SoftwareAuthenticator(ts.issuer);
    const res = await registerPasskey(ts, browser, authenticator);
    expect(res.status).toBe(303);
    expect(location(res)).toBe(`${accountUrl(ts)}?added=1`);
    const [stored, ...rest] = await passkeysOf(user.record.id);
    expect(rest).toHaveLength(0);
    expect(stored).toMatchObject({ credentialId: authenticator.id, userId: user.record.id, counter: 0, deviceType: 'singleDevice', backedUp: false, transports: ['internal'], name: 'Test key' });
    const after = await openCeremony(browser, `${accountUrl(ts)}?added=1`);
    expect(after.html).toContain('Passkey added.');
    expect(after.html).toContain('Test key');
    // §5.4.3 excludeCredentials: the same authenticator is not offered for a second registration.
    expect(after.options.excludeCredentials).toEqual([{ id: authenticator.id, type: 'public-key', transports: ['internal'] }]);
    const audit = await ts.server.ctx.storage.audit.list({ event: 'passkey_registration', userId: user.record.id });
    expect(audit.map((a) => a.result)).toEqual(['success']);
  });

  it('the page carries its script by hash only, and no other script source', async () => {
    const { browser } = await signedIn();
    const res = await browser.get(accountUrl(ts));
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'(;|$)/);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("default-src 'none'");
  });

  it('§13.4.3 a replayed challenge is refused: the same response posted again with the same challenge cookie', async () => {
    const { browser, user } = await signedIn();
    const page = await openCeremony(browser, accountUrl(ts));
    const challengeCookie = browser.cookie(WEBAUTHN_COOKIE);
    expect(challengeCookie).toBeDefined();
    const body = { csrf: page.csrf, credential: JSON.stringify(new SoftwareAuthenticator(ts.issuer).register(page.options)), name: 'First' };
    expect(location(await browser.post(page.action, body))).toBe(`${accountUrl(ts)}?added=1`);
    // The attacker replays the whole request, cookie included, with a second credential.
    browser.jar.set(WEBAUTHN_COOKIE, challengeCookie!);
    const replay = await browser.post(page.action, { ...body, credential: JSON.stringify(new SoftwareAuthenticator(ts.issuer).register(page.options)) });
    expect(location(replay)).toBe(`${accountUrl(ts)}?error=passkey_expired`);
    expect(await passkeysOf(user.record.id)).toHaveLength(1);
  });

  it('the challenge is bound to the session: another signed-in browser cannot use it', async () => {
    const a = await signedIn();
    const b = await signedIn();
    const pageA = await openCeremony(a.browser, accountUrl(ts));
    const pageB = await openCeremony(b.browser, accountUrl(ts));
    // b's own form and session, but the challenge cookie (and options) issued to a's session.
    b.browser.jar.set(WEBAUTHN_COOKIE, a.browser.cookie(WEBAUTHN_COOKIE)!);
    const credential = JSON.stringify(new SoftwareAuthenticator(ts.issuer).register(pageA.options));
    const res = await b.browser.post(pageB.action, { csrf: pageB.csrf, credential });
    expect(location(res)).toBe(`${accountUrl(ts)}?error=passkey_expired`);
    expect(await passkeysOf(b.user.record.id)).toHaveLength(0);
  });

  it.each([
    ['another origin (a phishing site)', { origin: 'http://evil.example' }],
    ['another RP ID', { rpId: 'evil.example' }],
    ['a challenge the server did not issue', { challenge: Buffer.from('not-the-challenge').toString('base64url') }],
    ['an assertion type instead of a creation', { type: 'webauthn.get' }],
    ['no user verification (UV flag clear)', { userVerified: false }],
    ['backed up but not backup eligible (invalid flags)', { backedUp: true, backupEligible: false }],
  ])('refuses %s and stores nothing', async (_name, falsify) => {
    const { browser, user } = await signedIn();
    const res = await registerPasskey(ts, browser, new SoftwareAuthenticator(ts.issuer), falsify);
    expect(location(res)).toBe(`${accountUrl(ts)}?error=passkey`);
    expect(await passkeysOf(user.record.id)).toHaveLength(0);
    const audit = await ts.server.ctx.storage.audit.list({ event: 'passkey_registration', userId: user.record.id });
    expect(audit.map((a) => [a.result, a.reason])).toEqual([['failure', 'invalid_attestation']]);
  });

  it('a malformed credential field is refused without reaching the verifier', async () => {
    const { browser, user } = await signedIn();
    const page = await openCeremony(browser, accountUrl(ts));
    for (const credential of ['', '{', '[]', '{"id":1}', 'x'.repeat(20_000)]) {
      await openCeremony(browser, accountUrl(ts));
      const res = await browser.post(page.action, { csrf: page.csrf, credential });
      expect(res.status).toBe(303);
      expect(location(res)).toBe(`${accountUrl(ts)}?error=passkey`);
    }
    expect(await passkeysOf(user.record.id)).toHaveLength(0);
  });

  it('a forged form (no CSRF token) is refused with 403', async () => {
    const { browser, user } = await signedIn();
    const page = await openCeremony(browser, accountUrl(ts));
    const res = await browser.post(page.action, { credential: JSON.stringify(new SoftwareAuthenticator(ts.issuer).register(page.options)) });
    expect(res.status).toBe(403);
    expect(await passkeysOf(user.record.id)).toHaveLength(0);
  });

  it('without a session: 401; a password-only session (from before HU-1 enforcement) counts as none: 401', async () => {
    const anonymous = await new TestBrowser().get(accountUrl(ts));
    expect(anonymous.status).toBe(401);
    // No login yields a password-only session any more (HU-1); one from before must still be refused.
    const { browser, user } = await signedIn();
    await legacyPasswordSession(ts.server.ctx, browser, user);
    const weak = await browser.get(accountUrl(ts));
    expect(weak.status).toBe(401);
    expect(await weak.text()).toContain('Sign in first');
    expect(await passkeysOf(user.record.id)).toHaveLength(0);
  });

  it('a session older than ten minutes cannot add a passkey', async () => {
    const { browser } = await signedIn();
    const realNow = ts.server.ctx.now;
    ts.server.ctx.now = () => realNow() + 601;
    try {
      expect((await browser.get(accountUrl(ts))).status).toBe(403);
    } finally {
      ts.server.ctx.now = realNow;
    }
  });
});
