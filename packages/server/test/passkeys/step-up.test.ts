/**
 * Step-up at the authorization server (RS-4, HU-1; RFC 9470 §4 — the client comes back with
 * acr_values / max_age; OIDC Core §3.1.2.1): a session that is too weak or too old is
 * re-authenticated with the factor it lacks, and the code, ID token and access token report
 * the new authentication (acr, amr, auth_time).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Acr } from '@mandate/protocol';
import { sha256 } from '../../src/crypto/hash.ts';
import type { ClientRecord } from '../../src/storage/records.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { TestBrowser } from '../interaction/support/browser.ts';
import { createClient, createUser, totpCode, type TestUser } from '../interaction/support/fixtures.ts';
import { authorizeToRedirect, beginAuthorization, location, openPage, redirectParams, submitPassword, submitTotp } from '../interaction/support/flow.ts';
import { SoftwareAuthenticator } from './support/authenticator.ts';
import { assertPasskey, authorization, expectBackTo, openCeremony, redeem, registerPasskey, startPasskeyServer } from './support/flow.ts';

let ts: TestServer;
let client: ClientRecord;

beforeAll(async () => {
  ts = await startPasskeyServer();
  client = await createClient(ts.server.ctx);
});
afterAll(() => ts.close());

/** Signed in with password + TOTP (consent remembered); with a passkey registered unless told otherwise. */
async function signedIn(options: { passkey?: boolean } = {}): Promise<{ browser: TestBrowser; user: TestUser; authenticator: SoftwareAuthenticator }> {
  const user = await createUser(ts.server.ctx);
  const browser = new TestBrowser();
  await authorizeToRedirect(browser, authorization(ts, client).url, user);
  const authenticator = new SoftwareAuthenticator(ts.issuer);
  if (options.passkey !== false) expect((await registerPasskey(ts, browser, authenticator)).status).toBe(303);
  return { browser, user, authenticator };
}

async function codeRecord(res: Response) {
  const code = redirectParams(res).get('code') ?? '';
  return (await ts.server.ctx.storage.codes.consume(sha256(code), ts.server.ctx.now()))?.record;
}

/**
 * Password + TOTP for a user who already used this step's code (RFC 6238 §5.2 refuses a code
 * twice): the next step's code, inside the one-step drift the server accepts.
 */
async function signInAgain(browser: TestBrowser, interactionUrl: string, user: TestUser): Promise<void> {
  expectBackTo(await submitPassword(browser, interactionUrl, user.email, user.password), interactionUrl);
  expectBackTo(await submitTotp(browser, interactionUrl, await totpCode(user, 1)), interactionUrl);
}

const sessionOf = async (browser: TestBrowser) => ts.server.ctx.storage.sessions.get(sha256(browser.cookie('__Host-mandate_session')?.value ?? ''));

describe('RFC 9470 §4 / OIDC Core §3.1.2.1 acr_values: only the missing factor is asked for', () => {
  it('a password + TOTP session asked for the phishing-resistant class gets the passkey step alone; the tokens report it', async () => {
    const { browser, user, authenticator } = await signedIn();
    const before = await sessionOf(browser);
    expect(before?.acr).toBe(Acr.PasswordTotp);
    const start = authorization(ts, client, { acr_values: Acr.Passkey });
    const interactionUrl = await beginAuthorization(browser, start.url);

    const page = await openCeremony(browser, interactionUrl);
    expect(page.html).toContain('Confirm with your passkey');
    expect(page.html).not.toContain('id="password"');
    // Step-up names the user's own credentials (§5.4.4 allowCredentials).
    expect(page.options.allowCredentials.map((c: { id: string }) => c.id)).toEqual([authenticator.id]);

    await new Promise((r) => setTimeout(r, 1100)); // so the new auth_time is visibly later
    expectBackTo(await assertPasskey(browser, interactionUrl, authenticator), interactionUrl);
    const after = await sessionOf(browser);
    expect(after).toMatchObject({ userId: user.record.id, acr: Acr.Passkey, amr: ['hwk', 'user'] });
    expect(after!.authTime).toBeGreaterThan(before!.authTime);
    expect(after!.idHash).not.toBe(before!.idHash); // a new session: no fixation across the step-up

    const res = await browser.get(interactionUrl);
    expect(res.status).toBe(303);
    const code = redirectParams(res).get('code') ?? '';
    const { access, id } = await redeem(ts, client, code, start.pkce.verifier);
    expect(access).toMatchObject({ sub: user.record.id, acr: Acr.Passkey, auth_time: after!.authTime });
    expect(id).toMatchObject({ sub: user.record.id, acr: Acr.Passkey, amr: ['hwk', 'user'], auth_time: after!.authTime });
  });

  it('a class the session already has (or a preference list it meets) needs no step at all', async () => {
    const { browser } = await signedIn();
    for (const acr of [Acr.PasswordTotp, `${Acr.Passkey} ${Acr.PasswordTotp}`]) {
      const res = await browser.get(await beginAuthorization(browser, authorization(ts, client, { acr_values: acr }).url));
      expect(res.status).toBe(303);
      expect((await codeRecord(res))?.acr).toBe(Acr.PasswordTotp);
    }
  });

  it('a passkey session satisfies every class', async () => {
    const { browser, authenticator } = await signedIn();
    const first = await beginAuthorization(browser, authorization(ts, client, { acr_values: Acr.Passkey }).url);
    expectBackTo(await assertPasskey(browser, first, authenticator), first);
    expect((await codeRecord(await browser.get(first)))?.acr).toBe(Acr.Passkey);
    for (const acr of [Acr.Password, Acr.PasswordTotp, Acr.Passkey]) {
      const res = await browser.get(await beginAuthorization(browser, authorization(ts, client, { acr_values: acr }).url));
      expect((await codeRecord(res))?.acr).toBe(Acr.Passkey);
    }
  });

  it('without a passkey the class cannot be reached: the login page, then what was achieved (acr is voluntary, §5.5.1.1)', async () => {
    const { browser, user } = await signedIn({ passkey: false });
    const interactionUrl = await beginAuthorization(browser, authorization(ts, client, { acr_values: Acr.Passkey }).url);
    expect((await openPage(browser, interactionUrl)).html).toContain('id="password"');
    await signInAgain(browser, interactionUrl, user);
    expect((await codeRecord(await browser.get(interactionUrl)))?.acr).toBe(Acr.PasswordTotp);
  });

  it("the step-up must be the session user's own passkey: another account's passkey is refused", async () => {
    const alice = await signedIn();
    const bob = await signedIn();
    const interactionUrl = await beginAuthorization(alice.browser, authorization(ts, client, { acr_values: Acr.Passkey }).url);
    const res = await assertPasskey(alice.browser, interactionUrl, bob.authenticator);
    expect(location(res)).toBe(`${interactionUrl}/passkey?error=passkey_user`);
    expect((await sessionOf(alice.browser))?.acr).toBe(Acr.PasswordTotp);
    const rows = await ts.server.ctx.storage.audit.list({ event: 'login', userId: bob.user.record.id });
    expect(rows.some((r) => r.reason === 'passkey_wrong_user')).toBe(true);
  });

  it('a new browser: password + TOTP first, then the passkey step; the consent form cannot skip it', async () => {
    const { user, authenticator } = await signedIn();
    const browser = new TestBrowser();
    const start = authorization(ts, client, { acr_values: Acr.Passkey, scope: 'openid profile email' });
    const interactionUrl = await beginAuthorization(browser, start.url);
    await signInAgain(browser, interactionUrl, user);
    const page = await openCeremony(browser, interactionUrl);
    expect(page.html).toContain('Confirm with your passkey');
    // Posting the consent form directly (csrf is valid) only sends the browser back to the step.
    const skip = await browser.post(`${interactionUrl}/consent`, { csrf: page.csrf, decision: 'approve' });
    expectBackTo(skip, interactionUrl);
    expectBackTo(await assertPasskey(browser, interactionUrl, authenticator), interactionUrl);
    const consent = await openPage(browser, interactionUrl);
    expect(consent.html).toContain('id="approve"');
    const res = await browser.post(consent.action, { csrf: consent.csrf, decision: 'approve' });
    expect((await codeRecord(res))?.acr).toBe(Acr.Passkey);
  });
});

describe('OIDC Core §3.1.2.1 max_age with passkeys', () => {
  it('a passkey session too old for max_age re-proves the passkey alone, with a new auth_time', async () => {
    const { browser, authenticator } = await signedIn();
    const first = await beginAuthorization(browser, authorization(ts, client, { acr_values: Acr.Passkey }).url);
    expectBackTo(await assertPasskey(browser, first, authenticator), first);
    const firstCode = await codeRecord(await browser.get(first));
    await new Promise((r) => setTimeout(r, 1100));
    const interactionUrl = await beginAuthorization(browser, authorization(ts, client, { max_age: '0' }).url);
    expect((await openCeremony(browser, interactionUrl)).html).toContain('Confirm with your passkey');
    expectBackTo(await assertPasskey(browser, interactionUrl, authenticator), interactionUrl);
    const code = await codeRecord(await browser.get(interactionUrl));
    expect(code?.acr).toBe(Acr.Passkey);
    expect(code!.authTime).toBeGreaterThan(firstCode!.authTime);
  });

  it('a password + TOTP session too old, asked for the passkey class, gets the passkey step (not the password page)', async () => {
    const { browser, authenticator } = await signedIn();
    await new Promise((r) => setTimeout(r, 1100));
    const interactionUrl = await beginAuthorization(browser, authorization(ts, client, { max_age: '0', acr_values: Acr.Passkey }).url);
    expect((await openCeremony(browser, interactionUrl)).html).not.toContain('id="password"');
    expectBackTo(await assertPasskey(browser, interactionUrl, authenticator), interactionUrl);
    expect((await codeRecord(await browser.get(interactionUrl)))?.acr).toBe(Acr.Passkey);
  });

  it('?method=password offers the password page instead of the passkey step', async () => {
    const { browser } = await signedIn();
    const interactionUrl = await beginAuthorization(browser, authorization(ts, client, { acr_values: Acr.Passkey }).url);
    expect((await openPage(browser, `${interactionUrl}?method=password`)).html).toContain('id="password"');
  });

  it('prompt=none cannot step up: a session below the requested class → login_required', async () => {
    const { browser } = await signedIn();
    const res = await browser.get(authorization(ts, client, { prompt: 'none', acr_values: Acr.Passkey }).url);
    expect(res.status).toBe(303);
    expect(redirectParams(res).get('error')).toBe('login_required');
  });
});
