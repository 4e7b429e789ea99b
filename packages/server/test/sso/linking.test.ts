/**
 * Account linking by verified email only (issue 5, HU-1): the first upstream login of an account
 * whose verified email equals an existing user's is linked to that user — when the provider is
 * allowed to link. An unverified email never reaches an existing account.
 */
import { describe, expect, it } from 'vitest';
import { TestBrowser } from '../interaction/support/browser.ts';
import { createUser } from '../interaction/support/fixtures.ts';
import { location } from '../interaction/support/flow.ts';
import { beginClientAuthorization, finishAtMandate, freshName, SESSION_COOKIE, ssoLogin, useSsoWorld, type SsoWorld } from './support/sso-flow.ts';

let world: SsoWorld;
useSsoWorld((w) => (world = w));

const storage = () => world.ts.server.ctx.storage;

describe('account linking by verified email', () => {
  it('a verified email links the upstream account to the existing user, who gets the tokens', async () => {
    const local = await createUser(world.ts.server.ctx, { totp: false });
    const sub = freshName('linked');
    world.idp.setAccount(sub, { email: local.email.toUpperCase(), email_verified: true });
    const browser = new TestBrowser();
    const started = await beginClientAuthorization(world, browser);
    const { res } = await ssoLogin(browser, started.interactionUrl, { provider: 'linker' }, { login: sub });
    expect(res.status, await res.clone().text()).toBe(303);
    expect(location(res)).toBe(started.interactionUrl);
    expect(await storage().upstreamIdentities.get('linker', sub)).toMatchObject({ userId: local.record.id });
    expect((await finishAtMandate(world, browser, started)).sub).toBe(local.record.id);
    const audit = await storage().audit.list({ event: 'login', userId: local.record.id, limit: 100 });
    expect(audit.some((r) => r.result === 'success' && (r.data as Record<string, unknown>).account === 'linked')).toBe(true);
  });

  it('an unverified email is refused and links nothing (no takeover by typing someone’s address)', async () => {
    const local = await createUser(world.ts.server.ctx, { totp: false });
    const sub = freshName('unverified');
    world.idp.setAccount(sub, { email: local.email, email_verified: false });
    const browser = new TestBrowser();
    const started = await beginClientAuthorization(world, browser);
    const { res } = await ssoLogin(browser, started.interactionUrl, { provider: 'linker' }, { login: sub });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('Email address not verified');
    expect(browser.cookie(SESSION_COOKIE)).toBeUndefined();
    expect(await storage().upstreamIdentities.get('linker', sub)).toBeNull();
    expect(await storage().upstreamIdentities.listForUser(local.record.id)).toEqual([]);
  });

  it('`email_verified: "true"` (a string) is not a verified email', async () => {
    const local = await createUser(world.ts.server.ctx, { totp: false });
    const sub = freshName('stringly');
    world.idp.setAccount(sub, { email: local.email, email_verified: 'true' });
    const browser = new TestBrowser();
    const started = await beginClientAuthorization(world, browser);
    const { res } = await ssoLogin(browser, started.interactionUrl, { provider: 'linker' }, { login: sub });
    expect(res.status).toBe(403);
    expect(await storage().upstreamIdentities.listForUser(local.record.id)).toEqual([]);
  });

  it('a look-alike address (KELVIN SIGN for k) neither links to nor shadows the local account', async () => {
    const local = await createUser(world.ts.server.ctx, { totp: false });
    const email = `kate-${freshName('kelvin')}@${local.email.slice(local.email.lastIndexOf('@') + 1)}`;
    await storage().users.update({ ...local.record, email });
    const sub = freshName('kelvin');
    world.idp.setAccount(sub, { email: `\u212Aate${email.slice(4)}`, email_verified: true });
    const browser = new TestBrowser();
    const started = await beginClientAuthorization(world, browser);
    const { res } = await ssoLogin(browser, started.interactionUrl, { provider: 'linker' }, { login: sub });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('Email address not accepted');
    expect(await storage().upstreamIdentities.get('linker', sub)).toBeNull();
    expect(await storage().upstreamIdentities.listForUser(local.record.id)).toEqual([]);
    expect(browser.cookie(SESSION_COOKIE)).toBeUndefined();
  });

  it('a provider not allowed to link is refused even with a verified email', async () => {
    const local = await createUser(world.ts.server.ctx, { totp: false });
    const email = `${freshName('strict-local')}@strict.example`;
    await storage().users.update({ ...local.record, email });
    const sub = freshName('strict');
    world.idp.setAccount(sub, { email, email_verified: true });
    const browser = new TestBrowser();
    const started = await beginClientAuthorization(world, browser);
    const { res } = await ssoLogin(browser, started.interactionUrl, { provider: 'strict' }, { login: sub });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('An account with this email already exists');
    expect(await storage().upstreamIdentities.listForUser(local.record.id)).toEqual([]);
    expect(browser.cookie(SESSION_COOKIE)).toBeUndefined();
  });

  it('an administrator is never linked by email, even with a verified address in the provider’s domains', async () => {
    const local = await createUser(world.ts.server.ctx, { totp: false });
    await storage().users.update({ ...local.record, isAdmin: true });
    const sub = freshName('admin-takeover');
    world.idp.setAccount(sub, { email: local.email, email_verified: true });
    const browser = new TestBrowser();
    const started = await beginClientAuthorization(world, browser);
    const { res } = await ssoLogin(browser, started.interactionUrl, { provider: 'linker' }, { login: sub });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('administrator account');
    expect(browser.cookie(SESSION_COOKIE)).toBeUndefined();
    expect(await storage().upstreamIdentities.get('linker', sub)).toBeNull();
    expect(await storage().upstreamIdentities.listForUser(local.record.id)).toEqual([]);
    expect((await storage().users.get(local.record.id))?.isAdmin).toBe(true);
    const audit = await storage().audit.list({ event: 'login', userId: local.record.id, limit: 100 });
    expect(audit.some((r) => r.result === 'failure' && r.reason === 'upstream_link_admin_refused')).toBe(true);
  });

  it('an administrator linked explicitly (an identity row an administrator created) signs in through the provider', async () => {
    const local = await createUser(world.ts.server.ctx, { totp: false });
    await storage().users.update({ ...local.record, isAdmin: true });
    const sub = freshName('admin-explicit');
    world.idp.setAccount(sub, { email: local.email, email_verified: true });
    await storage().upstreamIdentities.create({ providerId: 'linker', subject: sub, userId: local.record.id, email: local.email, createdAt: world.ts.server.ctx.now(), lastLoginAt: null });
    const browser = new TestBrowser();
    const started = await beginClientAuthorization(world, browser);
    const { res } = await ssoLogin(browser, started.interactionUrl, { provider: 'linker' }, { login: sub });
    expect(res.status, await res.clone().text()).toBe(303);
    expect((await finishAtMandate(world, browser, started)).sub).toBe(local.record.id);
  });

  it('a disabled user is refused through SSO too, and no session starts', async () => {
    const local = await createUser(world.ts.server.ctx, { totp: false });
    const sub = freshName('disabled');
    world.idp.setAccount(sub, { email: local.email, email_verified: true });
    const first = new TestBrowser();
    const s1 = await beginClientAuthorization(world, first);
    expect((await ssoLogin(first, s1.interactionUrl, { provider: 'linker' }, { login: sub })).res.status).toBe(303);

    await storage().users.update({ ...local.record, disabled: true });
    const browser = new TestBrowser();
    const started = await beginClientAuthorization(world, browser);
    const { res } = await ssoLogin(browser, started.interactionUrl, { provider: 'linker' }, { login: sub });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('This account is disabled');
    expect(browser.cookie(SESSION_COOKIE)).toBeUndefined();
    const audit = await storage().audit.list({ event: 'login', userId: local.record.id, limit: 100 });
    expect(audit.some((r) => r.result === 'failure' && r.reason === 'upstream_account_disabled')).toBe(true);
  });
});
