import { describe, expect, it } from 'vitest';
import { Acr } from '@mandate/protocol';
import { sha256 } from '../../src/crypto/hash.ts';
import type { ClientRecord } from '../../src/storage/records.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { TestBrowser } from './support/browser.ts';
import { startAuthorization, useLoginServer } from './support/login-server.ts';
import { authorizeUrl, createUser, pkce, totpCode, validParams } from './support/fixtures.ts';
import { beginAuthorization, enrollTotp, location, openPage, submitPassword, submitTotp } from './support/flow.ts';

let ts: TestServer;
let client: ClientRecord;

useLoginServer((server, c) => ((ts = server), (client = c)));

const start = (browser: TestBrowser) => startAuthorization(browser, ts, client);

async function loginAudit(userId: string | null) {
  const rows = await ts.server.ctx.storage.audit.list({ event: 'login', limit: 1000 });
  return userId === null ? rows : rows.filter((r) => r.userId === userId);
}

describe('HU-1 password step', () => {
  it('a wrong password → 303 back to the login page with a message, no session, audited without the password', async () => {
    const user = await createUser(ts.server.ctx);
    const browser = new TestBrowser();
    const interactionUrl = await start(browser);
    const res = await submitPassword(browser, interactionUrl, user.email, 'wrong password 123');
    expect(res.status).toBe(303);
    expect(location(res)).toBe(`${interactionUrl}?error=credentials`);
    expect(browser.cookie('__Host-mandate_session')).toBeUndefined();
    expect(browser.cookie('__Host-mandate_login')).toBeUndefined();
    const page = await openPage(browser, location(res));
    expect(page.html).toContain('The email or password is incorrect.');
    expect(page.html).toContain('role="alert"');
    const rows = await loginAudit(user.record.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ result: 'failure', reason: 'invalid_password', clientId: client.clientId });
    expect(JSON.stringify(rows)).not.toContain('wrong password 123');
  });

  it('an unknown email gets exactly the same answer, and is audited as unknown_account', async () => {
    const browser = new TestBrowser();
    const interactionUrl = await start(browser);
    const email = `nobody-${Date.now()}@example.com`;
    const res = await submitPassword(browser, interactionUrl, email, 'whatever password');
    expect(res.status).toBe(303);
    expect(location(res)).toBe(`${interactionUrl}?error=credentials`);
    const rows = (await loginAudit(null)).filter((r) => r.reason === 'unknown_account');
    expect(rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows)).not.toContain('whatever password');
  });

  it('a disabled account cannot sign in even with the right password', async () => {
    const user = await createUser(ts.server.ctx, { disabled: true });
    const browser = new TestBrowser();
    const interactionUrl = await start(browser);
    const res = await submitPassword(browser, interactionUrl, user.email, user.password);
    expect(location(res)).toBe(`${interactionUrl}?error=credentials`);
    expect((await loginAudit(user.record.id))[0]).toMatchObject({ result: 'failure', reason: 'account_disabled' });
  });

  it('the login_hint pre-fills the email field, escaped', async () => {
    const browser = new TestBrowser();
    const interactionUrl = await beginAuthorization(
      browser,
      authorizeUrl(ts.issuer, validParams(client, pkce().challenge, { login_hint: 'a"><script>x</script>@example.com' })),
    );
    const page = await openPage(browser, interactionUrl);
    expect(page.html).toContain('value="a&quot;&gt;&lt;script&gt;x&lt;/script&gt;@example.com"');
    expect(page.html).not.toContain('<script>');
  });

  it('a user without TOTP enrolled is not signed in by the password alone: TOTP set up first, then amr [pwd, otp] (totp-enrollment.test.ts)', async () => {
    const user = await createUser(ts.server.ctx, { totp: false });
    const browser = new TestBrowser();
    const interactionUrl = await start(browser);
    await submitPassword(browser, interactionUrl, user.email, user.password);
    expect(browser.cookie('__Host-mandate_session')).toBeUndefined();
    expect((await openPage(browser, interactionUrl)).html).toContain('id="totp-secret"');
    await enrollTotp(browser, interactionUrl, user);
    const session = await ts.server.ctx.storage.sessions.get(sha256(browser.cookie('__Host-mandate_session')!.value));
    expect(session).toMatchObject({ userId: user.record.id, acr: Acr.PasswordTotp, amr: ['pwd', 'otp'] });
  });
});

describe('RFC 6238 TOTP step', () => {
  it('the right code completes the login: session with acr mfa, amr [pwd, otp], audited', async () => {
    const user = await createUser(ts.server.ctx);
    const browser = new TestBrowser();
    const interactionUrl = await start(browser);
    const afterPassword = await submitPassword(browser, interactionUrl, user.email, user.password);
    expect(location(afterPassword)).toBe(interactionUrl);
    expect(browser.cookie('__Host-mandate_session')).toBeUndefined(); // no session before the second factor
    expect(browser.cookie('__Host-mandate_login')).toBeDefined();
    const res = await submitTotp(browser, interactionUrl, await totpCode(user));
    expect(location(res)).toBe(interactionUrl);
    expect(browser.cookie('__Host-mandate_login')).toBeUndefined();
    const session = await ts.server.ctx.storage.sessions.get(sha256(browser.cookie('__Host-mandate_session')!.value));
    expect(session).toMatchObject({ userId: user.record.id, acr: Acr.PasswordTotp, amr: ['pwd', 'otp'] });
    expect(session!.expiresAt - session!.createdAt).toBe(ts.server.ctx.config.ttl.session);
    const rows = await loginAudit(user.record.id);
    expect(rows.map((r) => r.result)).toEqual(['success']);
  });

  it('accepts the code of the previous time step (±1 step of drift)', async () => {
    const user = await createUser(ts.server.ctx);
    const browser = new TestBrowser();
    const interactionUrl = await start(browser);
    await submitPassword(browser, interactionUrl, user.email, user.password);
    const res = await submitTotp(browser, interactionUrl, await totpCode(user, -1));
    expect(location(res)).toBe(interactionUrl);
    expect(browser.cookie('__Host-mandate_session')).toBeDefined();
  });

  it('a wrong code → 303 back with a message, no session, audited invalid_totp', async () => {
    const user = await createUser(ts.server.ctx);
    const browser = new TestBrowser();
    const interactionUrl = await start(browser);
    await submitPassword(browser, interactionUrl, user.email, user.password);
    const good = await totpCode(user);
    const wrong = good === '000000' ? '111111' : '000000';
    for (const code of [wrong, 'abcdef', '1234567']) {
      const res = await submitTotp(browser, interactionUrl, code);
      expect(res.status).toBe(303);
      expect(location(res)).toBe(`${interactionUrl}?error=totp`);
    }
    expect(browser.cookie('__Host-mandate_session')).toBeUndefined();
    const rows = await loginAudit(user.record.id);
    expect(rows.map((r) => r.reason)).toEqual(['invalid_totp', 'invalid_totp', 'invalid_totp']);
    expect(JSON.stringify(rows)).not.toContain(wrong);
  });

  it('a code that already worked is refused within its window (RFC 6238 §5.2)', async () => {
    const user = await createUser(ts.server.ctx);
    const code = await totpCode(user);
    const first = new TestBrowser();
    const firstUrl = await start(first);
    await submitPassword(first, firstUrl, user.email, user.password);
    expect(location(await submitTotp(first, firstUrl, code))).toBe(firstUrl);

    const second = new TestBrowser();
    const secondUrl = await start(second);
    await submitPassword(second, secondUrl, user.email, user.password);
    const res = await submitTotp(second, secondUrl, code);
    expect(location(res)).toBe(`${secondUrl}?error=totp_reused`);
    expect(second.cookie('__Host-mandate_session')).toBeUndefined();
    expect((await loginAudit(user.record.id)).some((r) => r.reason === 'totp_replayed')).toBe(true);
  });

  it('the TOTP step cannot be reached without the password step of the same interaction', async () => {
    const user = await createUser(ts.server.ctx);
    const browser = new TestBrowser();
    const a = await start(browser);
    const b = await start(browser);
    const pageB = await openPage(browser, b);
    // No password proven at all: posting a code to b is sent back to the login page.
    const direct = await browser.post(pageB.action.replace('/login', '/totp'), { csrf: pageB.csrf, totp: await totpCode(user) });
    expect(location(direct)).toBe(`${b}?error=expired`);
    // The password proven in interaction a does not carry over to interaction b.
    await submitPassword(browser, a, user.email, user.password);
    const crossed = await browser.post(pageB.action.replace('/login', '/totp'), { csrf: pageB.csrf, totp: await totpCode(user) });
    expect(location(crossed)).toBe(`${b}?error=expired`);
    expect(browser.cookie('__Host-mandate_session')).toBeUndefined();
  });
});

describe('Login rate limits (per account and per IP, ctx.config.login.maxFailures in 15 minutes)', () => {
  let limited: TestServer;
  let limitedClient: ClientRecord;
  useLoginServer((server, c) => ((limited = server), (limitedClient = c)), { maxFailures: 3 });

  const startOn = (browser: TestBrowser) => startAuthorization(browser, limited, limitedClient);

  it('per account: failures from several IPs lock the account, even for the right password (429, Retry-After)', async () => {
    const user = await createUser(limited.server.ctx);
    for (const ip of ['127.0.0.2', '127.0.0.3', '127.0.0.4']) {
      const browser = new TestBrowser(ip);
      const res = await submitPassword(browser, await startOn(browser), user.email, 'wrong password!');
      expect(location(res)).toContain('error=credentials');
    }
    const browser = new TestBrowser('127.0.0.5');
    const res = await submitPassword(browser, await startOn(browser), user.email, user.password);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await res.text()).toContain('Too many failed sign-in attempts');
    expect(browser.cookie('__Host-mandate_login')).toBeUndefined();
    const rows = await limited.server.ctx.storage.audit.list({ event: 'login', limit: 100 });
    expect(rows.some((r) => r.reason === 'rate_limited')).toBe(true);
  });

  it('per IP: failures on several accounts from one IP block that IP, not others', async () => {
    const ip = '127.0.0.9';
    for (let i = 0; i < 3; i++) {
      const browser = new TestBrowser(ip);
      await submitPassword(browser, await startOn(browser), `ghost${i}@example.com`, 'wrong password!');
    }
    const user = await createUser(limited.server.ctx);
    const blocked = new TestBrowser(ip);
    expect((await submitPassword(blocked, await startOn(blocked), user.email, user.password)).status).toBe(429);
    const other = new TestBrowser('127.0.0.10');
    const res = await submitPassword(other, await startOn(other), user.email, user.password);
    expect(res.status).toBe(303);
  });

  it('a flood against a locked IP writes one rate_limited audit row per window; evaluated failures one each', async () => {
    const ctx = limited.server.ctx;
    const ip = '127.0.0.30';
    const rowsOf = async () => (await ctx.storage.audit.list({ event: 'login', limit: 1000 })).filter((r) => r.ip === ip);
    const fail = async (email: string) => {
      const browser = new TestBrowser(ip);
      return submitPassword(browser, await startOn(browser), email, 'wrong password!');
    };
    for (let i = 0; i < 3; i++) expect(location(await fail(`flood${i}@example.com`))).toContain('error=credentials');
    for (let i = 0; i < 6; i++) expect((await fail(`flood-shed${i}@example.com`)).status).toBe(429);
    expect((await rowsOf()).map((r) => r.reason).sort()).toEqual(['rate_limited', 'unknown_account', 'unknown_account', 'unknown_account']);
    // Another IP locked in the same window is audited on its own.
    const other = '127.0.0.31';
    for (let i = 0; i < 5; i++) {
      const browser = new TestBrowser(other);
      await submitPassword(browser, await startOn(browser), `other${i}@example.com`, 'wrong password!');
    }
    const otherRows = (await ctx.storage.audit.list({ event: 'login', limit: 1000 })).filter((r) => r.ip === other);
    expect(otherRows.filter((r) => r.reason === 'rate_limited')).toHaveLength(1);

    // The next window: evaluated again, locked again, audited again — once.
    const realNow = ctx.now;
    ctx.now = () => realNow() + 15 * 60;
    try {
      for (let i = 0; i < 3; i++) expect(location(await fail(`later${i}@example.com`))).toContain('error=credentials');
      for (let i = 0; i < 4; i++) expect((await fail(`later-shed${i}@example.com`)).status).toBe(429);
    } finally {
      ctx.now = realNow;
    }
    const reasons = (await rowsOf()).map((r) => r.reason);
    expect(reasons.filter((r) => r === 'rate_limited')).toHaveLength(2);
    expect(reasons.filter((r) => r === 'unknown_account')).toHaveLength(6);
  });

  it("a locked account refused from the owner's own address is audited there too, naming the user and what was limited", async () => {
    const ctx = limited.server.ctx;
    const user = await createUser(ctx);
    const attacker = '127.0.0.40';
    const owner = '127.0.0.41';
    const attempt = async (ip: string, password: string) => {
      const browser = new TestBrowser(ip);
      return submitPassword(browser, await startOn(browser), user.email, password);
    };
    for (let i = 0; i < 3; i++) await attempt(attacker, 'wrong password!');
    expect((await attempt(attacker, 'wrong password!')).status).toBe(429);
    expect((await attempt(owner, user.password)).status).toBe(429); // the account is locked for everyone
    const rows = (await ctx.storage.audit.list({ event: 'login', limit: 1000 })).filter((r) => r.reason === 'rate_limited' && (r.ip === attacker || r.ip === owner));
    expect(rows.map((r) => r.ip).sort()).toEqual([attacker, owner]);
    const ownerRow = rows.find((r) => r.ip === owner);
    expect(ownerRow?.userId).toBe(user.record.id);
    expect(ownerRow?.data).toMatchObject({ limited: ['account'] });
  });

  it('TOTP failures count as well', async () => {
    const user = await createUser(limited.server.ctx);
    const browser = new TestBrowser('127.0.0.20');
    const interactionUrl = await startOn(browser);
    await submitPassword(browser, interactionUrl, user.email, user.password);
    const good = await totpCode(user);
    const wrong = good === '000000' ? '111111' : '000000';
    for (let i = 0; i < 3; i++) expect((await submitTotp(browser, interactionUrl, wrong)).status).toBe(303);
    const page = await openPage(browser, interactionUrl);
    const res = await browser.post(page.action, { csrf: page.csrf, totp: good });
    expect(res.status).toBe(429);
    expect(browser.cookie('__Host-mandate_session')).toBeUndefined();
  });
});
