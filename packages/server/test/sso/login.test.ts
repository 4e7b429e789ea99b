/**
 * SSO federation (issue 5, HU-1, EN-1) end to end: a real OpenID Provider on loopback plays the
 * company's IdP; Mandate is its client. The browser goes Mandate → IdP → Mandate, then consent,
 * then the client redeems the code at Mandate's token endpoint.
 */
import { describe, expect, it } from 'vitest';
import { Acr } from '@mandate/protocol';
import { TestBrowser } from '../interaction/support/browser.ts';
import { location, openPage } from '../interaction/support/flow.ts';
import { beginClientAuthorization, finishAtMandate, freshName, SESSION_COOKIE, ssoLogin, useSsoWorld, type SsoWorld } from './support/sso-flow.ts';

let world: SsoWorld;
useSsoWorld((w) => (world = w));

const storage = () => world.ts.server.ctx.storage;
async function loginAudit(filter: (r: { reason: string | null; data: unknown }) => boolean) {
  return (await storage().audit.list({ event: 'login', limit: 10_000 })).filter(filter);
}

describe('HU-1 / EN-1 login through the upstream OpenID Provider', () => {
  it('"Continue with" → IdP → callback → consent → code → tokens for a just-in-time provisioned user', async () => {
    const sub = freshName('alice');
    const email = `${sub}@corp.example`;
    world.idp.setAccount(sub, { email, email_verified: true, name: 'Alice Upstream' });
    const browser = new TestBrowser();
    const started = await beginClientAuthorization(world, browser);

    const page = await openPage(browser, started.interactionUrl);
    expect(page.html).toContain('id="sso-corp"');
    expect(page.html).toContain('Continue with Corp SSO');
    // CSP form-action lets the SSO forms lead to the IdP.
    expect(page.res.headers.get('content-security-policy')).toContain(world.idp.issuer);

    const { callback, res } = await ssoLogin(browser, started.interactionUrl, { provider: 'corp' }, { login: sub });
    expect(callback.pathname).toBe('/sso/callback');
    expect(callback.searchParams.get('iss')).toBe(world.idp.issuer); // RFC 9207, advertised by the IdP
    expect(res.status, await res.clone().text()).toBe(303);
    expect(location(res)).toBe(started.interactionUrl);
    expect(browser.cookie(SESSION_COOKIE)).toBeDefined();

    const user = await storage().users.getByEmail(email);
    expect(user).toMatchObject({ email, name: 'Alice Upstream', passwordHash: null, disabled: false });
    expect(await storage().upstreamIdentities.get('corp', sub)).toMatchObject({ userId: user!.id, email });

    const id = await finishAtMandate(world, browser, started);
    expect(id.sub).toBe(user!.id);
    expect(id.amr).toEqual(['fed']);
    expect(id.acr).toBe(Acr.Password);

    const audit = await loginAudit((r) => r.reason === null && (r.data as { provider?: string } | null)?.provider === 'corp');
    expect(audit.some((r) => (r.data as Record<string, unknown>).account === 'provisioned')).toBe(true);
    expect(JSON.stringify(audit)).not.toContain('company-idp-secret');
  });

  it('a second login of the same upstream account finds the linked user (by sub, not email)', async () => {
    const sub = freshName('bob');
    world.idp.setAccount(sub, { email: `${sub}@corp.example`, email_verified: true });
    const first = new TestBrowser();
    const s1 = await beginClientAuthorization(world, first);
    await ssoLogin(first, s1.interactionUrl, { provider: 'corp' }, { login: sub });
    const userId = (await storage().upstreamIdentities.get('corp', sub))!.userId;

    // The IdP changes the email: the identity still leads to the same user.
    world.idp.setAccount(sub, { email: `${sub}-renamed@corp.example`, email_verified: true });
    const second = new TestBrowser();
    const s2 = await beginClientAuthorization(world, second);
    const { res } = await ssoLogin(second, s2.interactionUrl, { provider: 'corp' }, { login: sub });
    expect(res.status).toBe(303);
    expect((await finishAtMandate(world, second, s2)).sub).toBe(userId);
    expect(await storage().users.getByEmail(`${sub}-renamed@corp.example`)).toBeNull();
    expect(await storage().upstreamIdentities.listForUser(userId)).toHaveLength(1);
  });

  it('an upstream acr mapped in the configuration becomes the session class', async () => {
    const sub = freshName('mfa');
    world.idp.setAccount(sub, { email: `${sub}@corp.example`, email_verified: true });
    const browser = new TestBrowser();
    const started = await beginClientAuthorization(world, browser);
    await ssoLogin(browser, started.interactionUrl, { provider: 'corp' }, { login: sub, acr: 'urn:company:mfa' });
    const id = await finishAtMandate(world, browser, started);
    expect(id.acr).toBe(Acr.PasswordTotp);
    expect(id.amr).toEqual(['fed']);
  });
});

describe('just-in-time provisioning', () => {
  it('off: an unknown upstream account is refused with a clear page; no user, no link, no session', async () => {
    const sub = freshName('stranger');
    const email = `${sub}@strict.example`;
    world.idp.setAccount(sub, { email, email_verified: true });
    const browser = new TestBrowser();
    const started = await beginClientAuthorization(world, browser);
    const { res } = await ssoLogin(browser, started.interactionUrl, { provider: 'strict' }, { login: sub });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('There is no account for you here yet');
    expect(browser.cookie(SESSION_COOKIE)).toBeUndefined();
    expect(await storage().users.getByEmail(email)).toBeNull();
    expect(await storage().upstreamIdentities.get('strict', sub)).toBeNull();
    expect(await loginAudit((r) => r.reason === 'upstream_not_provisioned')).not.toHaveLength(0);
  });

  it('on, but the email is not verified: refused, nothing created', async () => {
    const sub = freshName('unverified-new');
    const email = `${sub}@corp.example`;
    world.idp.setAccount(sub, { email, email_verified: false });
    const browser = new TestBrowser();
    const started = await beginClientAuthorization(world, browser);
    const { res } = await ssoLogin(browser, started.interactionUrl, { provider: 'corp' }, { login: sub });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('No verified email address');
    expect(await storage().users.getByEmail(email)).toBeNull();
    expect(browser.cookie(SESSION_COOKIE)).toBeUndefined();
  });

  it('on, but the provider asserts an email outside its domains: refused (no cross-tenant takeover)', async () => {
    const sub = freshName('foreign');
    const email = `${sub}@elsewhere.example`;
    world.idp.setAccount(sub, { email, email_verified: true });
    const browser = new TestBrowser();
    const started = await beginClientAuthorization(world, browser);
    const { res } = await ssoLogin(browser, started.interactionUrl, { provider: 'corp' }, { login: sub });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('may not sign in accounts with this email address');
    expect(await storage().users.getByEmail(email)).toBeNull();
  });
});
