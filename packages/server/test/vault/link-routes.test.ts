/**
 * VA-1 account linking over real HTTP: the signed-in user's /account/vault page starts a link
 * (PKCE + state, pending link in a cookie bound to the session), the real loopback provider
 * (oidc-provider) logs in and consents, and the callback stores the tokens; unlinking revokes
 * them at the provider. Wrong state, another session, a missing CSRF token or no session are
 * refused and audited; no token or code reaches the audit log. A refresh the provider refuses
 * is shown on the page, and "Link again" repairs the entry.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { UserRecord } from '../../src/storage/records.ts';
import { freePort, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { inputValue, TestBrowser } from '../interaction/support/browser.ts';
import { createUser } from '../token/fixtures.ts';
import { authorize, startThirdPartyProvider, type ThirdPartyProvider } from './support/third-party-provider.ts';
import { open } from '../../src/vault/envelope.ts';
import { vaultKeys } from '../../src/vault/kek.ts';
import { decodePayload } from '../../src/vault/payload.ts';
import { entryBinding } from '../../src/vault/refresh.ts';
import { itemOf, signedInBrowser } from './support/account-browser.ts';
import { createGithubLike, directRefresh, userinfo } from './support/vault-fixture.ts';

const LINK = '__Host-mandate_vault_link';

describe.each(['sqlite', 'postgres'] as const)('linked accounts pages (%s)', (backend) => {
  let ts: TestServer;
  let provider: ThirdPartyProvider;
  let alice: UserRecord;
  let bob: UserRecord;

  beforeAll(async () => {
    // The vault reaches providers through the SSRF guard: the loopback provider is a development allowance.
    const port = await freePort();
    ts = await startTestServer({ federation: { devAllowedHosts: [`127.0.0.1:${port}`] } }, backend);
    provider = await startThirdPartyProvider({ extraRedirectUris: [`${ts.issuer}/account/vault/callback/tp`], port });
    await createGithubLike(ts.server.ctx.vault, provider);
    alice = await createUser(ts.server.ctx, 'alice@example.com', 'Alice');
    bob = await createUser(ts.server.ctx, 'bob@example.com', 'Bob');
  });
  afterAll(async () => {
    await provider?.close();
    await ts?.close();
  });

  async function csrfOf(browser: TestBrowser): Promise<{ csrf: string; html: string; csp: string }> {
    const res = await browser.get(`${ts.issuer}/account/vault`);
    const html = await res.text();
    expect(res.status, html.slice(0, 300)).toBe(200);
    return { csrf: inputValue(html, 'csrf') ?? '', html, csp: res.headers.get('content-security-policy') ?? '' };
  }

  /** Starts a link and lets the provider's user log in; returns the callback query (not yet sent). */
  async function startLink(browser: TestBrowser, login: string): Promise<URLSearchParams> {
    const { csrf } = await csrfOf(browser);
    const res = await browser.post(`${ts.issuer}/account/vault/link`, { csrf, connection: 'tp' });
    expect(res.status).toBe(303);
    const to = res.headers.get('location')!;
    expect(to.startsWith(`${provider.issuer}/auth?`)).toBe(true);
    expect(new URL(to).searchParams.get('code_challenge_method')).toBe('S256');
    // RFC 9700 §4.4.2: the redirect URI names the connection the link is started for.
    expect(new URL(to).searchParams.get('redirect_uri')).toBe(`${ts.issuer}/account/vault/callback/tp`);
    expect(browser.cookie(LINK)).toBeDefined();
    return authorize(to, login);
  }

  const callback = (browser: TestBrowser, params: URLSearchParams, connection = 'tp') => browser.get(`${ts.issuer}/account/vault/callback/${connection}?${params.toString()}`);
  const events = (event: string) => ts.server.ctx.storage.audit.list({ event, limit: 1000 });

  it('links through the provider, shows the status, unlinks with revocation at the provider; all audited', async () => {
    const browser = await signedInBrowser(ts, alice);
    const page = await csrfOf(browser);
    expect(page.html).toContain('Not linked');
    expect(page.csp).toContain(`form-action 'self' ${provider.issuer}`);

    const params = await startLink(browser, 'alice-at-tp');
    const done = await callback(browser, params);
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(`${ts.issuer}/account/vault?linked=tp`);
    expect(browser.cookie(LINK)).toBeUndefined();
    const token = (await ts.server.ctx.vault.accessToken(alice.id, 'tp')).accessToken;
    expect(await userinfo(provider, token)).toEqual({ status: 200, sub: 'alice-at-tp' });
    expect((await csrfOf(browser)).html).toContain('data-status="ok"');
    expect(await events('vault_linked')).toEqual(expect.arrayContaining([expect.objectContaining({ userId: alice.id, result: 'success', resource: 'urn:mandate:vault:tp' })]));

    const { csrf } = await csrfOf(browser);
    const gone = await browser.post(`${ts.issuer}/account/vault/unlink`, { csrf, connection: 'tp' });
    expect(gone.headers.get('location')).toBe(`${ts.issuer}/account/vault?unlinked=tp`);
    expect(await ts.server.ctx.storage.vault.entries.getFor(alice.id, 'tp')).toBeNull();
    expect((await userinfo(provider, token)).status).toBe(401);
    const [unlinked] = await events('vault_unlinked');
    expect(unlinked).toMatchObject({ userId: alice.id, result: 'success', data: { connection: 'tp', provider_revocation: 'revoked' } });
    const audit = JSON.stringify(await ts.server.ctx.storage.audit.list({ limit: 1000 }));
    for (const secret of [token, params.get('code')!, params.get('state')!]) expect(audit.includes(secret)).toBe(false);
  });

  it('a wrong state is refused before the code is spent, and audited', async () => {
    const browser = await signedInBrowser(ts, alice);
    const params = await startLink(browser, 'alice-at-tp');
    params.set('state', 'forged');
    const res = await callback(browser, params);
    expect(res.headers.get('location')).toBe(`${ts.issuer}/account/vault?error=link`);
    expect(await ts.server.ctx.storage.vault.entries.getFor(alice.id, 'tp')).toBeNull();
    const refused = (await events('vault_linked')).find((e) => e.result === 'failure' && e.userId === alice.id);
    expect(refused!.reason).toMatch(/state mismatch/);
  });

  it('RFC 9700 §4.4.2 mix-up: a callback at another connection\'s redirect URI is refused before the code is spent', async () => {
    const browser = await signedInBrowser(ts, alice);
    const params = await startLink(browser, 'alice-at-tp');
    const complete = vi.spyOn(ts.server.ctx.vault, 'completeLink');
    try {
      const res = await callback(browser, params, 'another-provider');
      expect(res.headers.get('location')).toBe(`${ts.issuer}/account/vault?error=link`);
      expect(complete).not.toHaveBeenCalled();
    } finally {
      complete.mockRestore();
    }
    expect(await ts.server.ctx.storage.vault.entries.getFor(alice.id, 'tp')).toBeNull();
    const refused = (await events('vault_linked')).find((e) => e.userId === alice.id && e.reason === 'callback_connection_mismatch');
    expect(refused).toMatchObject({ result: 'failure', resource: 'urn:mandate:vault:tp' });
    // One callback per link: the pending link is gone, the right URI does not take the code later either.
    expect((await callback(browser, params)).headers.get('location')).toBe(`${ts.issuer}/account/vault?error=link`);
    expect(await ts.server.ctx.storage.vault.entries.getFor(alice.id, 'tp')).toBeNull();
  });

  it("another session (even holding the first browser's link cookie) cannot complete the link", async () => {
    const aliceBrowser = await signedInBrowser(ts, alice);
    const params = await startLink(aliceBrowser, 'alice-at-tp');
    const bobBrowser = await signedInBrowser(ts, bob);
    bobBrowser.jar.set(LINK, aliceBrowser.cookie(LINK)!);
    const res = await callback(bobBrowser, params);
    expect(res.headers.get('location')).toBe(`${ts.issuer}/account/vault?error=link`);
    expect(await ts.server.ctx.storage.vault.entries.getFor(bob.id, 'tp')).toBeNull();
    expect(await ts.server.ctx.storage.vault.entries.getFor(alice.id, 'tp')).toBeNull();
    expect((await events('vault_linked')).some((e) => e.userId === bob.id && e.reason === 'no_pending_link')).toBe(true);
  });

  it('a callback failing on a fault outside the vault (storage) is still audited, and its tokens are not kept', async () => {
    const browser = await signedInBrowser(ts, bob);
    const params = await startLink(browser, 'bob-at-tp');
    const fault = vi.spyOn(ts.server.ctx.storage.vault.entries, 'getFor').mockRejectedValueOnce(new Error('database unavailable'));
    try {
      expect((await callback(browser, params)).status).toBe(500);
    } finally {
      fault.mockRestore();
    }
    const failed = (await events('vault_linked')).find((e) => e.userId === bob.id && e.reason === 'internal_error');
    expect(failed).toMatchObject({ result: 'failure', resource: 'urn:mandate:vault:tp' });
    expect(await ts.server.ctx.storage.vault.entries.getFor(bob.id, 'tp')).toBeNull();
  });

  it('no session → 401 page; a post without the CSRF token → 403, nothing started', async () => {
    expect((await new TestBrowser().get(`${ts.issuer}/account/vault`)).status).toBe(401);
    const browser = await signedInBrowser(ts, alice);
    const res = await browser.post(`${ts.issuer}/account/vault/link`, { connection: 'tp' });
    expect(res.status).toBe(403);
    expect(browser.cookie(LINK)).toBeUndefined();
    const unlink = await browser.post(`${ts.issuer}/account/vault/unlink`, { csrf: 'wrong', connection: 'tp' });
    expect(unlink.status).toBe(403);
  });

  it('a refresh the provider refuses is shown on the page; "Link again" links anew and the entry is usable again', async () => {
    const ctx = ts.server.ctx;
    const browser = await signedInBrowser(ts, bob);
    expect((await callback(browser, await startLink(browser, 'bob-at-tp'))).status).toBe(303);
    // Spend the stored refresh token behind the vault's back (the provider rotates: the vault's copy is now dead).
    const entry = (await ctx.storage.vault.entries.getFor(bob.id, 'tp'))!;
    const stored = decodePayload(await open(vaultKeys(ctx.config), entryBinding(entry), entry.sealed));
    if (stored.kind !== 'oauth' || stored.refresh_token === null) throw new Error('expected refreshable OAuth tokens');
    expect((await directRefresh(provider, stored.refresh_token)).status).toBe(200);
    await expect(ctx.vault.refresh(bob.id, 'tp')).rejects.toMatchObject({ code: 'ERR_VAULT_ENTRY_UNUSABLE' });

    const broken = itemOf((await csrfOf(browser)).html, 'tp');
    expect(broken).toContain('data-status="refresh_failed"');
    expect(broken).toContain('data-error="invalid_grant"');
    expect(broken).toContain('The provider no longer accepts this link');
    expect(broken).toContain('Link again');
    expect(broken).not.toContain(stored.refresh_token);

    const done = await callback(browser, await startLink(browser, 'bob-at-tp'));
    expect(done.headers.get('location')).toBe(`${ts.issuer}/account/vault?linked=tp`);
    const repaired = itemOf((await csrfOf(browser)).html, 'tp');
    expect(repaired).toContain('data-status="ok"');
    expect(repaired).not.toContain('data-error');
    expect(await userinfo(provider, (await ctx.vault.refresh(bob.id, 'tp')).accessToken)).toEqual({ status: 200, sub: 'bob-at-tp' });
  });
});
