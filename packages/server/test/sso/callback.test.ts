/**
 * The callback refuses every answer it cannot tie to this browser's pending login, or that the
 * provider did not really give (RFC 6749 §10.12 state, OIDC Core §15.5.2 nonce, RFC 9207 iss,
 * RFC 7636 PKCE, error responses): a clear page, an audit entry, and no session.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { TestBrowser } from '../interaction/support/browser.ts';
import { location } from '../interaction/support/flow.ts';
import { beginClientAuthorization, chooseUpstream, freshName, SESSION_COOKIE, ssoLogin, throughIdp, useSsoWorld, type SsoWorld } from './support/sso-flow.ts';

let world: SsoWorld;
useSsoWorld((w) => (world = w));

async function account(): Promise<string> {
  const sub = freshName('eve');
  world.idp.setAccount(sub, { email: `${sub}@corp.example`, email_verified: true });
  return sub;
}

async function failureReasons(): Promise<string[]> {
  const rows = await world.ts.server.ctx.storage.audit.list({ event: 'login', limit: 10_000 });
  return rows.filter((r) => r.result === 'failure').map((r) => r.reason ?? '');
}

/** The check that refused the most recent failed login (audit detail). */
async function lastFailureDetail(): Promise<string> {
  const rows = await world.ts.server.ctx.storage.audit.list({ event: 'login', limit: 10_000 });
  const last = rows.filter((r) => r.result === 'failure').at(-1);
  return String((last?.data as { detail?: unknown } | null)?.detail ?? '');
}

/** Up to the IdP's redirect back, not followed. */
async function pendingCallback(browser: TestBrowser, sub: string, tamper?: (url: URL) => void): Promise<{ interactionUrl: string; callback: URL }> {
  const started = await beginClientAuthorization(world, browser);
  const toIdp = await chooseUpstream(browser, started.interactionUrl, { provider: 'corp' });
  return { interactionUrl: started.interactionUrl, callback: await throughIdp(browser, toIdp, { login: sub, ...(tamper ? { tamper } : {}) }) };
}

describe('state (RFC 6749 §10.12): single use, bound to the browser and the interaction', () => {
  it('a replayed callback is refused; the first one alone signed in', async () => {
    const browser = new TestBrowser();
    const { callback, interactionUrl } = await pendingCallback(browser, await account());
    const first = await browser.get(callback.href);
    expect(first.status).toBe(303);
    expect(location(first)).toBe(interactionUrl);
    const session = browser.cookie(SESSION_COOKIE)?.value;

    const replay = await browser.get(callback.href);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('This sign-in response cannot be used');
    expect(browser.cookie(SESSION_COOKIE)?.value).toBe(session); // no new session from the replay
    expect(await failureReasons()).toContain('upstream_invalid_state');
  });

  it('an unknown state is refused, and no session starts', async () => {
    const browser = new TestBrowser();
    const { callback } = await pendingCallback(browser, await account());
    callback.searchParams.set('state', randomBytes(32).toString('base64url'));
    const res = await browser.get(callback.href);
    expect(res.status).toBe(400);
    expect(browser.cookie(SESSION_COOKIE)).toBeUndefined();
  });

  it('a missing state is refused', async () => {
    const browser = new TestBrowser();
    const { callback } = await pendingCallback(browser, await account());
    callback.searchParams.delete('state');
    const res = await browser.get(callback.href);
    expect(res.status).toBe(400);
    expect(browser.cookie(SESSION_COOKIE)).toBeUndefined();
  });

  it('a callback carried to another browser is refused (login CSRF) and stays usable for its own browser', async () => {
    const victim = new TestBrowser();
    const { callback, interactionUrl } = await pendingCallback(victim, await account());
    const attacker = new TestBrowser();
    const res = await attacker.get(callback.href);
    expect(res.status).toBe(403);
    expect(attacker.cookie(SESSION_COOKIE)).toBeUndefined();
    // The binding is checked before the state is spent.
    const own = await victim.get(callback.href);
    expect(own.status).toBe(303);
    expect(location(own)).toBe(interactionUrl);
  });
});

describe('the provider’s answer is verified', () => {
  it('RFC 9207: an iss parameter naming another issuer is refused', async () => {
    const browser = new TestBrowser();
    const { callback } = await pendingCallback(browser, await account());
    callback.searchParams.set('iss', 'https://evil.example');
    const res = await browser.get(callback.href);
    expect(res.status).toBe(400);
    expect(await lastFailureDetail()).toContain('OAUTH_INVALID_RESPONSE');
    expect(await res.text()).toContain('could not be verified');
    expect(browser.cookie(SESSION_COOKIE)).toBeUndefined();
    expect(await failureReasons()).toContain('upstream_invalid_response');
  });

  it('RFC 9207: a missing iss is refused when the provider advertises it', async () => {
    const browser = new TestBrowser();
    const { callback } = await pendingCallback(browser, await account());
    callback.searchParams.delete('iss');
    const res = await browser.get(callback.href);
    expect(res.status).toBe(400);
    expect(await lastFailureDetail()).toContain('OAUTH_INVALID_RESPONSE');
    expect(browser.cookie(SESSION_COOKIE)).toBeUndefined();
  });

  it('a nonce other than the one stored for this state is refused (ID token injection)', async () => {
    const browser = new TestBrowser();
    const started = await beginClientAuthorization(world, browser);
    // Two redirects to the IdP from one page: the second one's nonce is put into the first request.
    const first = await chooseUpstream(browser, started.interactionUrl, { provider: 'corp' });
    const second = await chooseUpstream(browser, started.interactionUrl, { provider: 'corp' });
    const otherNonce = new URL(location(second)).searchParams.get('nonce') ?? '';
    expect(otherNonce).not.toBe('');
    const callback = await throughIdp(browser, first, { login: await account(), tamper: (u) => u.searchParams.set('nonce', otherNonce) });
    const res = await browser.get(callback.href);
    expect(res.status).toBe(400);
    expect(await lastFailureDetail()).toContain('JWT_CLAIM_COMPARISON'); // the nonce claim
    expect(browser.cookie(SESSION_COOKIE)).toBeUndefined();
  });

  it('RFC 7636: a code obtained with another code_challenge cannot be redeemed', async () => {
    const browser = new TestBrowser();
    const challenge = randomBytes(32).toString('base64url');
    const { callback } = await pendingCallback(browser, await account(), (u) => u.searchParams.set('code_challenge', challenge));
    const res = await browser.get(callback.href);
    expect(res.status).toBe(400);
    expect(await lastFailureDetail()).toContain('invalid_grant');
    expect(browser.cookie(SESSION_COOKIE)).toBeUndefined();
  });

  it('an error response from the provider (access_denied) is shown, audited, and signs nobody in', async () => {
    const browser = new TestBrowser();
    const started = await beginClientAuthorization(world, browser);
    const { callback, res } = await ssoLogin(browser, started.interactionUrl, { provider: 'corp' }, { deny: true });
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(html).toContain('refused the sign-in');
    expect(html).toContain('access_denied');
    expect(html).not.toContain('The user refused'); // the provider's free text is not echoed
    expect(browser.cookie(SESSION_COOKIE)).toBeUndefined();
    expect(await failureReasons()).toContain('upstream_provider_error');
  });

  it('a provider that cannot be reached gives a clear page (502) and no redirect', async () => {
    const browser = new TestBrowser();
    const started = await beginClientAuthorization(world, browser);
    const res = await chooseUpstream(browser, started.interactionUrl, { provider: 'down' });
    expect(res.status).toBe(502);
    expect(await res.text()).toContain('Single sign-on is unavailable');
    expect(browser.cookie(SESSION_COOKIE)).toBeUndefined();
  });

  it('an unknown provider id in the form is refused with a page, not a 500', async () => {
    const browser = new TestBrowser();
    const started = await beginClientAuthorization(world, browser);
    const res = await chooseUpstream(browser, started.interactionUrl, { provider: 'nope' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('not configured here');
  });
});
