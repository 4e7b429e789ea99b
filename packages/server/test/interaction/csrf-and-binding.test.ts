import { describe, expect, it } from 'vitest';
import type { ClientRecord } from '../../src/storage/records.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { TestBrowser } from './support/browser.ts';
import { startAuthorization, useLoginServer } from './support/login-server.ts';
import { createUser } from './support/fixtures.ts';
import { decideConsent, location, openPage, signIn } from './support/flow.ts';

let ts: TestServer;
let client: ClientRecord;

useLoginServer((server, c) => ((ts = server), (client = c)));

const start = (browser: TestBrowser) => startAuthorization(browser, ts, client);

describe('AS-8 CSRF tokens on every form', () => {
  it('a login post without the token, with a wrong one, or with the token of another interaction → 403, nothing processed', async () => {
    const user = await createUser(ts.server.ctx);
    const browser = new TestBrowser();
    const a = await start(browser);
    const b = await start(browser);
    const pageA = await openPage(browser, a);
    const pageB = await openPage(browser, b);
    for (const csrf of [undefined, 'x'.repeat(43), pageB.csrf]) {
      const form: Record<string, string> = { email: user.email, password: user.password };
      if (csrf !== undefined) form.csrf = csrf;
      const res = await browser.post(pageA.action, form);
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('security token');
      expect(browser.cookie('__Host-mandate_login')).toBeUndefined();
    }
    // The audit shows no login attempt: the credentials were never checked.
    expect(await ts.server.ctx.storage.audit.list({ event: 'login', userId: user.record.id })).toHaveLength(0);
  });

  it('a consent post without a valid token → 403, and no code is issued', async () => {
    const user = await createUser(ts.server.ctx);
    const browser = new TestBrowser();
    const interactionUrl = await start(browser);
    await signIn(browser, interactionUrl, user);
    const page = await openPage(browser, interactionUrl);
    expect((await browser.post(page.action, { decision: 'approve' })).status).toBe(403);
    expect((await browser.post(page.action, { decision: 'approve', csrf: `${page.csrf.startsWith('A') ? 'B' : 'A'}${page.csrf.slice(1)}` })).status).toBe(403);
    expect(await ts.server.ctx.storage.grants.list({ userId: user.record.id })).toHaveLength(0);
    // The genuine form still works afterwards.
    const res = await decideConsent(browser, interactionUrl, 'approve');
    expect(new URL(location(res)).searchParams.get('code')).toBeTruthy();
  });

  it('a form post with the wrong content type or a repeated field → 400 page', async () => {
    const browser = new TestBrowser();
    const interactionUrl = await start(browser);
    const page = await openPage(browser, interactionUrl);
    const json = await browser.request(page.action, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(400);
    const repeated = await browser.request(page.action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `csrf=${page.csrf}&email=a@example.com&email=b@example.com&password=x`,
    });
    expect(repeated.status).toBe(400);
  });
});

describe('AS-8 interactions are bound to the browser that started them, and single use', () => {
  it('another browser (no interaction cookie) cannot open or post to the interaction', async () => {
    const user = await createUser(ts.server.ctx);
    const owner = new TestBrowser();
    const interactionUrl = await start(owner);
    const page = await openPage(owner, interactionUrl);
    const thief = new TestBrowser();
    const get = await thief.get(interactionUrl);
    expect(get.status).toBe(403);
    expect(await get.text()).toContain('another browser');
    const post = await thief.post(page.action, { csrf: page.csrf, email: user.email, password: user.password });
    expect(post.status).toBe(403);
  });

  it('an interaction cookie for one interaction does not open another one', async () => {
    const owner = new TestBrowser();
    const interactionUrl = await start(owner);
    const other = new TestBrowser();
    await start(other); // has its own interaction cookie
    expect((await other.get(interactionUrl)).status).toBe(403);
  });

  it('several interactions in one browser stay usable (tabs), and a finished one cannot be replayed', async () => {
    const user = await createUser(ts.server.ctx);
    const browser = new TestBrowser();
    const first = await start(browser);
    const second = await start(browser);
    await signIn(browser, first, user);
    const page = await openPage(browser, first);
    const done = await browser.post(page.action, { csrf: page.csrf, decision: 'approve' });
    expect(done.status).toBe(303);
    // Replaying the consent post of the finished interaction: refused, no second code.
    const replay = await browser.post(page.action, { csrf: page.csrf, decision: 'approve' });
    expect(replay.status).toBe(403);
    const grants = await ts.server.ctx.storage.grants.list({ userId: user.record.id });
    expect(grants).toHaveLength(1);
    // The second tab's interaction still works with the same session and consent.
    const res = await browser.get(second);
    expect(res.status).toBe(303);
    expect(new URL(location(res)).searchParams.get('code')).toBeTruthy();
  });

  it('two concurrent consent posts: exactly one code, one consent, one decision audited', async () => {
    const user = await createUser(ts.server.ctx);
    const browser = new TestBrowser();
    const interactionUrl = await start(browser);
    await signIn(browser, interactionUrl, user);
    const page = await openPage(browser, interactionUrl);
    const results = await Promise.all([1, 2, 3].map(() => browser.post(page.action, { csrf: page.csrf, decision: 'approve' })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([303, 400, 400]);
    expect(await ts.server.ctx.storage.grants.list({ userId: user.record.id })).toHaveLength(1);
    expect(await ts.server.ctx.storage.consents.listForUser(user.record.id)).toHaveLength(1);
    expect(await ts.server.ctx.storage.audit.list({ event: 'consent', userId: user.record.id })).toHaveLength(1);
  });

  it('an unknown interaction id → 403 page (the binding is checked before any lookup)', async () => {
    const browser = new TestBrowser();
    await start(browser);
    const res = await browser.get(`${ts.issuer}/interaction/${'A'.repeat(43)}`);
    expect(res.status).toBe(403);
    expect(res.headers.get('location')).toBeNull();
  });

  it('a consumed interaction → error page, never a redirect, even with its binding cookie', async () => {
    const user = await createUser(ts.server.ctx);
    const browser = new TestBrowser();
    const interactionUrl = await start(browser);
    await signIn(browser, interactionUrl, user);
    await decideConsent(browser, interactionUrl, 'approve');
    // Restore the binding cookie, as an attacker who copied it would: the interaction is still used up.
    const tag = browser.setCookieHeaders.find((h) => h.startsWith('__Host-mandate_interaction=') && !/max-age=0/i.test(h));
    browser.jar.set('__Host-mandate_interaction', { name: '__Host-mandate_interaction', value: tag!.split(';')[0]!.split('=')[1]!, attributes: [] });
    const res = await browser.get(interactionUrl);
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain('expired or was already completed');
  });
});
