/**
 * Two first logins of the same new upstream account at once (federation/upstream/account.ts):
 * both may read "no identity, no user" before either writes; the loser's insert then meets a
 * unique index (users' email, or the (provider, sub) key). Bad input or races never give a 500:
 * the loser resolves again and signs in to the account the winner made.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TestBrowser } from '../interaction/support/browser.ts';
import { createUser } from '../interaction/support/fixtures.ts';
import { location } from '../interaction/support/flow.ts';
import { randomId } from '../../src/crypto/hash.ts';
import { barrier, staleReads } from './support/race.ts';
import { beginClientAuthorization, chooseUpstream, finishAtMandate, freshName, throughIdp, useSsoWorld, type SsoWorld } from './support/sso-flow.ts';

const worlds: Record<'sqlite' | 'postgres', SsoWorld | undefined> = { sqlite: undefined, postgres: undefined };
useSsoWorld((w) => (worlds.sqlite = w));
useSsoWorld((w) => (worlds.postgres = w), 'postgres');

let undo: (() => void) | null = null;
afterEach(() => {
  undo?.();
  undo = null;
});

/** A browser that has been through the IdP for `sub` and holds Mandate's callback URL, not yet opened. */
async function atCallback(world: SsoWorld, provider: string, sub: string) {
  const browser = new TestBrowser();
  const started = await beginClientAuthorization(world, browser);
  const callback = await throughIdp(browser, await chooseUpstream(browser, started.interactionUrl, { provider }), { login: sub });
  return { browser, started, callback };
}

describe.each(['sqlite', 'postgres'] as const)('a first login racing another (%s)', (backend) => {
  const world = () => worlds[backend]!;
  const storage = () => world().ts.server.ctx.storage;

  it('JIT: the user and identity appear between lookup and insert → signed in to that user, no second user', async () => {
    const sub = freshName('jit-race');
    const email = `${sub}@corp.example`;
    world().idp.setAccount(sub, { email, email_verified: true });
    const login = await atCallback(world(), 'corp', sub);
    // What the other login committed meanwhile.
    const now = world().ts.server.ctx.now();
    const winner = { id: randomId('usr'), email, name: email, passwordHash: null, totpSecretEncrypted: null, isAdmin: false, disabled: false, createdAt: now, updatedAt: now };
    await storage().users.create(winner);
    await storage().upstreamIdentities.create({ providerId: 'corp', subject: sub, userId: winner.id, email, createdAt: now, lastLoginAt: null });
    undo = staleReads(storage(), { providerId: 'corp', subject: sub, email });

    const res = await login.browser.get(login.callback.href);
    expect(res.status, await res.clone().text()).toBe(303);
    expect(location(res)).toBe(login.started.interactionUrl);
    expect((await finishAtMandate(world(), login.browser, login.started)).sub).toBe(winner.id);
    expect(await storage().users.getByEmail(email)).toMatchObject({ id: winner.id });
    expect(await storage().upstreamIdentities.listForUser(winner.id)).toHaveLength(1);
  });

  it('linking: the identity is linked between lookup and insert → signed in to the linked user', async () => {
    const local = await createUser(world().ts.server.ctx, { totp: false });
    const sub = freshName('link-race');
    world().idp.setAccount(sub, { email: local.email, email_verified: true });
    const login = await atCallback(world(), 'linker', sub);
    await storage().upstreamIdentities.create({ providerId: 'linker', subject: sub, userId: local.record.id, email: local.email, createdAt: world().ts.server.ctx.now(), lastLoginAt: null });
    undo = staleReads(storage(), { providerId: 'linker', subject: sub });

    const res = await login.browser.get(login.callback.href);
    expect(res.status, await res.clone().text()).toBe(303);
    expect((await finishAtMandate(world(), login.browser, login.started)).sub).toBe(local.record.id);
    expect(await storage().upstreamIdentities.listForUser(local.record.id)).toHaveLength(1);
  });

  it('another upstream account took the email meanwhile → the linking rules decide (no 500)', async () => {
    // `corp` may link by verified email: the second account is linked to the user the first created.
    const sub = freshName('same-email');
    const email = `${sub}@corp.example`;
    world().idp.setAccount(sub, { email, email_verified: true });
    const login = await atCallback(world(), 'corp', sub);
    const now = world().ts.server.ctx.now();
    const other = { id: randomId('usr'), email, name: email, passwordHash: null, totpSecretEncrypted: null, isAdmin: false, disabled: false, createdAt: now, updatedAt: now };
    await storage().users.create(other);
    await storage().upstreamIdentities.create({ providerId: 'corp', subject: `${sub}-other`, userId: other.id, email, createdAt: now, lastLoginAt: null });
    undo = staleReads(storage(), { providerId: 'corp', subject: sub, email });

    const res = await login.browser.get(login.callback.href);
    expect(res.status, await res.clone().text()).toBe(303);
    expect(await storage().upstreamIdentities.get('corp', sub)).toMatchObject({ userId: other.id });
  });
});

describe('two simultaneous callbacks (PostgreSQL, where the transactions really interleave)', () => {
  const world = () => worlds.postgres!;
  const storage = () => world().ts.server.ctx.storage;

  it('JIT: both answer 303, one user, both sessions for that user', async () => {
    const sub = freshName('jit-both');
    const email = `${sub}@corp.example`;
    world().idp.setAccount(sub, { email, email_verified: true });
    const a = await atCallback(world(), 'corp', sub);
    const b = await atCallback(world(), 'corp', sub);
    undo = barrier(storage(), 2);
    const [ra, rb] = await Promise.all([a.browser.get(a.callback.href), b.browser.get(b.callback.href)]);
    expect([ra.status, rb.status], `${await ra.text()}\n${await rb.text()}`).toEqual([303, 303]);
    undo();
    undo = null;
    const user = await storage().users.getByEmail(email);
    expect(user).not.toBeNull();
    expect((await finishAtMandate(world(), a.browser, a.started)).sub).toBe(user!.id);
    expect((await finishAtMandate(world(), b.browser, b.started)).sub).toBe(user!.id);
    expect(await storage().upstreamIdentities.listForUser(user!.id)).toHaveLength(1);
  });

  it('linking: both answer 303 and the identity is linked once', async () => {
    const local = await createUser(world().ts.server.ctx, { totp: false });
    const sub = freshName('link-both');
    world().idp.setAccount(sub, { email: local.email, email_verified: true });
    const a = await atCallback(world(), 'linker', sub);
    const b = await atCallback(world(), 'linker', sub);
    undo = barrier(storage(), 2);
    const [ra, rb] = await Promise.all([a.browser.get(a.callback.href), b.browser.get(b.callback.href)]);
    expect([ra.status, rb.status], `${await ra.text()}\n${await rb.text()}`).toEqual([303, 303]);
    expect(await storage().upstreamIdentities.listForUser(local.record.id)).toHaveLength(1);
  });
});
