/** The SSO login end to end on PostgreSQL storage (the other files run on SQLite). */
import { describe, expect, it } from 'vitest';
import { TestBrowser } from '../interaction/support/browser.ts';
import { location } from '../interaction/support/flow.ts';
import { beginClientAuthorization, finishAtMandate, ssoLogin, useSsoWorld, type SsoWorld } from './support/sso-flow.ts';

let world: SsoWorld;
useSsoWorld((w) => (world = w), 'postgres');

describe('SSO on PostgreSQL', () => {
  it('provisions, maps groups, and a replayed callback is refused', async () => {
    const sub = `pg-${Date.now().toString(36)}`;
    world.idp.setAccount(sub, { email: `${sub}@corp.example`, email_verified: true, groups: ['engineering', 'mandate-admins'] });
    const browser = new TestBrowser();
    const started = await beginClientAuthorization(world, browser);
    const { callback, res } = await ssoLogin(browser, started.interactionUrl, { provider: 'corp' }, { login: sub });
    expect(res.status, await res.clone().text()).toBe(303);
    expect(location(res)).toBe(started.interactionUrl);
    expect((await browser.get(callback.href)).status).toBe(400);
    const id = await finishAtMandate(world, browser, started);
    const storage = world.ts.server.ctx.storage;
    expect((await storage.users.get(String(id.sub)))?.isAdmin).toBe(true);
    expect((await storage.scim.listGroupsOfUser(String(id.sub))).map((g) => g.displayName)).toEqual(['Engineering']);
  });
});
