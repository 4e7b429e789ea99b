/**
 * Email-first home-realm discovery (issue 5, HU-1): the work email's domain picks the provider;
 * the provider gets it as login_hint (OIDC Core §3.1.2.1). Unknown domains go back to the page.
 */
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../src/crypto/hash.ts';
import { TestBrowser } from '../interaction/support/browser.ts';
import { location, openPage } from '../interaction/support/flow.ts';
import { beginClientAuthorization, chooseUpstream, finishAtMandate, throughIdp, useSsoWorld, type SsoWorld } from './support/sso-flow.ts';

let world: SsoWorld;
useSsoWorld((w) => (world = w));

describe('home-realm discovery by email domain', () => {
  it('an email at a configured domain goes to that provider, with the email as login_hint, and signs in', async () => {
    const sub = `erin-${Date.now().toString(36)}`;
    const email = `${sub}@Corp.Example`;
    world.idp.setAccount(sub, { email: email.toLowerCase(), email_verified: true });
    const browser = new TestBrowser();
    const started = await beginClientAuthorization(world, browser);
    const page = await openPage(browser, started.interactionUrl);
    expect(page.html).toContain('id="sso-email"');

    const toIdp = await chooseUpstream(browser, started.interactionUrl, { email });
    expect(toIdp.status).toBe(303);
    const auth = new URL(location(toIdp));
    expect(auth.origin).toBe(world.idp.issuer);
    expect(auth.searchParams.get('login_hint')).toBe(email);
    expect(auth.searchParams.get('client_id')).toBe('mandate-sso');
    expect(auth.searchParams.get('code_challenge_method')).toBe('S256');
    expect(auth.searchParams.get('redirect_uri')).toBe(`${world.ts.issuer}/sso/callback`);
    expect(auth.searchParams.get('state')).toMatch(/^[\w-]{43,}$/);
    expect(auth.searchParams.get('nonce')).toMatch(/^[\w-]{43,}$/);

    const callback = await throughIdp(browser, toIdp, { login: sub });
    expect((await browser.get(callback.href)).status).toBe(303);
    const id = await finishAtMandate(world, browser, started);
    expect((await world.ts.server.ctx.storage.users.get(String(id.sub)))?.email).toBe(email.toLowerCase());
  });

  it('each domain leads to its own provider', async () => {
    const browser = new TestBrowser();
    const started = await beginClientAuthorization(world, browser);
    const res = await chooseUpstream(browser, started.interactionUrl, { email: 'someone@strict.example' });
    expect(res.status).toBe(303);
    const auth = new URL(location(res));
    const pending = await world.ts.server.ctx.storage.upstreamIdentities.states.get(sha256(auth.searchParams.get('state') ?? ''), world.ts.server.ctx.now());
    expect(pending?.providerId).toBe('strict');
  });

  it('an email at a domain without a provider returns to the login page with a message', async () => {
    const browser = new TestBrowser();
    const started = await beginClientAuthorization(world, browser);
    const res = await chooseUpstream(browser, started.interactionUrl, { email: 'someone@no-sso.example' });
    expect(res.status).toBe(303);
    expect(location(res)).toBe(`${started.interactionUrl}?error=sso_domain`);
    const page = await openPage(browser, location(res));
    expect(page.html).toContain('Single sign-on is not set up for that email address');
  });

  it('the client asking for prompt=login makes the provider re-authenticate too', async () => {
    const browser = new TestBrowser();
    const started = await beginClientAuthorization(world, browser, { prompt: 'login', max_age: '60' });
    const res = await chooseUpstream(browser, started.interactionUrl, { provider: 'corp' });
    const auth = new URL(location(res));
    expect(auth.searchParams.get('prompt')).toBe('login');
    expect(auth.searchParams.get('max_age')).toBe('60');
  });
});
