/**
 * Home-realm discovery from the client's login_hint (OIDC Core §3.1.2.1), for a provider that
 * enables `autoRedirectOnLoginHint`: the login page is skipped and the browser goes straight to
 * the provider, the hint passed on. Other providers (the default) still show the page.
 */
import { describe, expect, it } from 'vitest';
import { TestBrowser } from '../interaction/support/browser.ts';
import { location, openPage } from '../interaction/support/flow.ts';
import { beginClientAuthorization, finishAtMandate, freshName, throughIdp, useSsoWorld, type SsoWorld } from './support/sso-flow.ts';

let world: SsoWorld;
useSsoWorld((w) => (world = w));

describe('login_hint straight to the provider (autoRedirectOnLoginHint)', () => {
  it('a hint at the provider’s domain skips the login page and signs in there', async () => {
    const sub = freshName('hinted');
    const email = `${sub}@hinted.example`;
    world.idp.setAccount(sub, { email, email_verified: true });
    const browser = new TestBrowser();
    const started = await beginClientAuthorization(world, browser, { login_hint: email });

    const toIdp = await browser.get(started.interactionUrl);
    expect(toIdp.status, await toIdp.clone().text()).toBe(303);
    const auth = new URL(location(toIdp));
    expect(auth.origin).toBe(world.idp.issuer);
    expect(auth.searchParams.get('login_hint')).toBe(email);

    const callback = await throughIdp(browser, toIdp, { login: sub });
    expect((await browser.get(callback.href)).status).toBe(303);
    const id = await finishAtMandate(world, browser, started);
    expect((await world.ts.server.ctx.storage.users.get(String(id.sub)))?.email).toBe(email);
  });

  it('?method=password still shows the login page', async () => {
    const browser = new TestBrowser();
    const started = await beginClientAuthorization(world, browser, { login_hint: 'someone@hinted.example' });
    const page = await openPage(browser, `${started.interactionUrl}?method=password`);
    expect(page.html).toContain('id="sso"');
  });

  it('a provider without the setting (the default) shows the page, the hint pre-filled', async () => {
    const browser = new TestBrowser();
    const started = await beginClientAuthorization(world, browser, { login_hint: 'someone@corp.example' });
    const page = await openPage(browser, started.interactionUrl);
    expect(page.html).toContain('value="someone@corp.example"');
  });

  it('a hint at no provider’s domain shows the page', async () => {
    const browser = new TestBrowser();
    const started = await beginClientAuthorization(world, browser, { login_hint: 'someone@no-sso.example' });
    expect((await browser.get(started.interactionUrl)).status).toBe(200);
  });
});
