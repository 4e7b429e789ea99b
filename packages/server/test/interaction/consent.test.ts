import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientRecord } from '../../src/storage/records.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { TestBrowser } from './support/browser.ts';
import { authorizeUrl, createClient, createUser, pkce, validParams, type TestUser } from './support/fixtures.ts';
import { beginAuthorization, decideConsent, location, openPage, redirectParams, signIn } from './support/flow.ts';

let ts: TestServer;
let client: ClientRecord;

beforeAll(async () => {
  ts = await startTestServer({
    login: { maxFailures: 100 },
    authorizationDetailsTypes: [{ type: 'payment_initiation', description: 'Initiate a payment', fields: ['amount', 'currency', 'creditor'], required: ['amount'] }],
  });
  client = await createClient(ts.server.ctx, { clientName: 'Acme <Notes> & Co' });
});
afterAll(() => ts.close());

async function consentPageFor(c: ClientRecord, extra: Record<string, string | string[] | undefined> = {}, user?: TestUser) {
  const u = user ?? (await createUser(ts.server.ctx));
  const browser = new TestBrowser();
  const interactionUrl = await beginAuthorization(browser, authorizeUrl(ts.issuer, validParams(c, pkce().challenge, extra)));
  await signIn(browser, interactionUrl, u);
  const page = await openPage(browser, interactionUrl);
  return { browser, interactionUrl, page, user: u };
}

describe('AS-8 consent page names the client, the redirect host, scopes, resources and details', () => {
  it('shows all of it, escaped, with Allow and Deny buttons', async () => {
    const details = [{ type: 'payment_initiation', amount: '12.50', currency: 'EUR', creditor: 'Merchant <b>' }];
    const { page, user } = await consentPageFor(client, {
      scope: 'openid profile',
      resource: 'https://mcp.example.com/mcp',
      authorization_details: JSON.stringify(details),
    });
    const html = page.html;
    expect(html).toContain('<span id="client-name">Acme &lt;Notes&gt; &amp; Co</span>');
    expect(html).toContain('<span class="host" id="redirect-host">app.example.com</span>');
    expect(html).toContain('See your name and basic profile');
    expect(html).toContain('<code>profile</code>');
    expect(html).toContain('https://mcp.example.com/mcp');
    expect(html).toContain('Initiate a payment');
    expect(html).toContain('12.50');
    expect(html).toContain('Merchant &lt;b&gt;');
    expect(html).toContain(user.email);
    expect(html).toContain('id="approve"');
    expect(html).toContain('id="deny"');
    expect(html).not.toContain('id="localhost-warning"');
  });

  it('"Not you? Sign out": a form posting to /account/logout with the CSRF token of this session, which signs out (CO-1) and returns to this authorization', async () => {
    const { browser, interactionUrl, page } = await consentPageFor(client);
    const logoutUrl = `${ts.issuer}/account/logout`;
    const form = /<form method="post" action="([^"]+)" id="sign-out">\s*<input type="hidden" name="csrf" value="([^"]+)">\s*<input type="hidden" name="interaction" value="([^"]+)">[\s\S]*?id="logout"[\s\S]*?<\/form>/.exec(page.html);
    expect(form?.[1]).toBe(logoutUrl);
    expect(`${ts.issuer}/interaction/${form?.[3]}`).toBe(interactionUrl);
    const csrf = form?.[2] ?? '';
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(csrf).not.toBe(page.csrf); // the logout token, bound to the session, not the interaction's
    expect(page.html).toContain('Not you? Sign out');
    // The consent form stays the first form of the page: the sign-out form comes after it.
    expect(page.action).toBe(`${interactionUrl}/consent`);
    expect(page.res.headers.get('content-security-policy')).toContain("form-action 'self'");

    const res = await browser.post(logoutUrl, { csrf, interaction: form?.[3] ?? '' });
    expect(res.status).toBe(303);
    expect(location(res)).toBe(interactionUrl); // back to the authorization, now at its sign-in
    // Signed out: the same authorization request now asks for a sign-in, not for consent.
    const after = await openPage(browser, interactionUrl);
    expect(after.html).toContain('id="password"');
    expect(after.html).not.toContain('id="approve"');
  });

  it('after signing out, only an interaction id of this server is followed: anything else lands on the sign-out page (no open redirect)', async () => {
    const logoutUrl = `${ts.issuer}/account/logout`;
    for (const interaction of ['https://evil.example/', '//evil.example', '../admin/v1', 'a b']) {
      const { browser, page } = await consentPageFor(client);
      const csrf = /name="csrf" value="([^"]+)">\s*<input type="hidden" name="interaction"/.exec(page.html)?.[1] ?? '';
      const res = await browser.post(logoutUrl, { csrf, interaction });
      expect(res.status).toBe(303);
      expect(location(res)).toBe(logoutUrl);
    }
  });

  it('for a Client ID Metadata Document client: the client_id host and a warning when it only returns to localhost (AS-6)', async () => {
    const cimd = await createClient(ts.server.ctx, {
      clientId: 'https://agent.example.org/oauth/client.json',
      clientName: 'Helpful Agent',
      source: 'cimd',
      applicationType: 'native',
      redirectUris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
    });
    const { page } = await consentPageFor(cimd, { redirect_uri: 'http://127.0.0.1:49152/callback' });
    expect(page.html).toContain('Helpful Agent');
    expect(page.html).toContain('<strong class="mono" id="client-id-host">agent.example.org</strong>');
    expect(page.html).toContain('<span class="host" id="redirect-host">127.0.0.1:49152</span>');
    expect(page.html).toContain('id="localhost-warning"');
    expect(page.res.headers.get('content-security-policy')).toContain("form-action 'self' http://127.0.0.1:49152");
  });

  it('a private-use scheme redirect is named as an app on this device', async () => {
    const native = await createClient(ts.server.ctx, { applicationType: 'native', redirectUris: ['com.example.notes:/oauth/callback'] });
    const { page } = await consentPageFor(native);
    expect(page.html).toContain('<span class="host" id="redirect-host">com.example.notes</span>');
    expect(page.html).toContain('An app installed on this device');
    expect(page.res.headers.get('content-security-policy')).toContain("form-action 'self' com.example.notes:");
  });
});

describe('RFC 6749 §4.1.2.1 deny → access_denied with state and iss', () => {
  it('redirects with access_denied, audits the denial, stores no consent and no grant', async () => {
    const { browser, interactionUrl, user } = await consentPageFor(client, { state: 'deny-state' });
    const res = await decideConsent(browser, interactionUrl, 'deny');
    const q = redirectParams(res);
    expect(location(res).startsWith('https://app.example.com/callback?')).toBe(true);
    expect(q.get('error')).toBe('access_denied');
    expect(q.get('state')).toBe('deny-state');
    expect(q.get('iss')).toBe(ts.issuer);
    expect(q.get('code')).toBeNull();
    expect(await ts.server.ctx.storage.consents.listForUser(user.record.id)).toHaveLength(0);
    expect(await ts.server.ctx.storage.grants.list({ userId: user.record.id })).toHaveLength(0);
    const audit = await ts.server.ctx.storage.audit.list({ event: 'consent', userId: user.record.id });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ result: 'failure', reason: 'denied', clientId: client.clientId });
  });
});

describe('AS-8 / CO-1 consent is remembered per user + client + scopes + resources', () => {
  it('approving records the consent (audited); the same request later skips the page', async () => {
    const { browser, interactionUrl, user } = await consentPageFor(client, { resource: 'https://mcp.example.com/mcp' });
    await decideConsent(browser, interactionUrl, 'approve');
    const consents = await ts.server.ctx.storage.consents.listForUser(user.record.id);
    expect(consents).toHaveLength(1);
    expect(consents[0]).toMatchObject({ clientId: client.clientId, scope: 'openid profile', resources: ['https://mcp.example.com/mcp'], revokedAt: null });
    const audit = await ts.server.ctx.storage.audit.list({ event: 'consent', userId: user.record.id });
    expect(audit[0]).toMatchObject({ result: 'success', grantedScope: 'openid profile', resource: 'https://mcp.example.com/mcp' });

    // Same scopes (or fewer) and same resource: straight back to the client.
    for (const scope of ['openid profile', 'openid']) {
      const next = await beginAuthorization(browser, authorizeUrl(ts.issuer, validParams(client, pkce().challenge, { scope, resource: 'https://mcp.example.com/mcp' })));
      const res = await browser.get(next);
      expect(res.status).toBe(303);
      expect(redirectParams(res).get('code')).toBeTruthy();
      expect(redirectParams(res).get('iss')).toBe(ts.issuer);
    }
    expect(await ts.server.ctx.storage.consents.listForUser(user.record.id)).toHaveLength(1);
  });

  it('a new scope, a new resource or another client asks again', async () => {
    const { browser, interactionUrl, user } = await consentPageFor(client);
    await decideConsent(browser, interactionUrl, 'approve');
    const other = await createClient(ts.server.ctx, { clientName: 'Other App' });
    for (const [c, extra] of [
      [client, { scope: 'openid profile email' }],
      [client, { resource: 'https://other.example.com/api' }],
      [other, {}],
    ] as const) {
      const next = await beginAuthorization(browser, authorizeUrl(ts.issuer, validParams(c, pkce().challenge, extra)));
      const page = await openPage(browser, next);
      expect(page.html).toContain('id="approve"');
    }
    expect(await ts.server.ctx.storage.consents.listForUser(user.record.id)).toHaveLength(1);
  });

  it('a revoked consent no longer counts', async () => {
    const { browser, interactionUrl, user } = await consentPageFor(client);
    await decideConsent(browser, interactionUrl, 'approve');
    const [consent] = await ts.server.ctx.storage.consents.listForUser(user.record.id);
    await ts.server.ctx.storage.consents.revoke(consent!.id, ts.server.ctx.now());
    const next = await beginAuthorization(browser, authorizeUrl(ts.issuer, validParams(client, pkce().challenge)));
    expect((await openPage(browser, next)).html).toContain('id="approve"');
  });

  it('prompt=consent shows the page again and reuses the remembered consent when approved', async () => {
    const { browser, interactionUrl, user } = await consentPageFor(client);
    await decideConsent(browser, interactionUrl, 'approve');
    const next = await beginAuthorization(browser, authorizeUrl(ts.issuer, validParams(client, pkce().challenge, { prompt: 'consent' })));
    const res = await decideConsent(browser, next, 'approve');
    expect(redirectParams(res).get('code')).toBeTruthy();
    expect(await ts.server.ctx.storage.consents.listForUser(user.record.id)).toHaveLength(1);
    const grants = await ts.server.ctx.storage.grants.list({ userId: user.record.id });
    expect(grants).toHaveLength(2);
    expect(new Set(grants.map((g) => g.consentId)).size).toBe(1);
  });

  it('a consent post with an unknown decision is refused and nothing is issued', async () => {
    const { browser, page, user } = await consentPageFor(client);
    const res = await browser.post(page.action, { csrf: page.csrf, decision: 'maybe' });
    expect(res.status).toBe(400);
    expect(await ts.server.ctx.storage.grants.list({ userId: user.record.id })).toHaveLength(0);
  });
});
