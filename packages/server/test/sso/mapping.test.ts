/**
 * Claim → role and group mapping (issue 5, EN-1), applied on every login: the company IdP is the
 * authority, so a change there (someone leaves the admins) takes effect at the next sign-in.
 */
import { describe, expect, it } from 'vitest';
import { TestBrowser } from '../interaction/support/browser.ts';
import { beginClientAuthorization, finishAtMandate, ssoLogin, useSsoWorld, type SsoWorld } from './support/sso-flow.ts';

let world: SsoWorld;
useSsoWorld((w) => (world = w));

const storage = () => world.ts.server.ctx.storage;

async function signInAs(sub: string): Promise<string> {
  const browser = new TestBrowser();
  const started = await beginClientAuthorization(world, browser);
  const { res } = await ssoLogin(browser, started.interactionUrl, { provider: 'corp' }, { login: sub });
  expect(res.status, await res.clone().text()).toBe(303);
  return String((await finishAtMandate(world, browser, started)).sub);
}

async function groupsOf(userId: string): Promise<string[]> {
  return (await storage().scim.listGroupsOfUser(userId)).map((g) => g.displayName).sort();
}

describe('EN-1 claim → role and group mapping', () => {
  it('grants the mapped role and groups at the first login, and takes them away when the claims change', async () => {
    const sub = `carol-${Date.now().toString(36)}`;
    world.idp.setAccount(sub, { email: `${sub}@corp.example`, email_verified: true, groups: ['mandate-admins', 'engineering', 'unmapped'], department: 'sales' });
    const userId = await signInAs(sub);
    expect((await storage().users.get(userId))?.isAdmin).toBe(true);
    expect(await groupsOf(userId)).toEqual(['Engineering', 'Sales']);
    expect(await storage().scim.getGroupByName('unmapped')).toBeNull();

    world.idp.setAccount(sub, { email: `${sub}@corp.example`, email_verified: true, groups: ['engineering'], department: 'support' });
    expect(await signInAs(sub)).toBe(userId);
    expect((await storage().users.get(userId))?.isAdmin).toBe(false);
    expect(await groupsOf(userId)).toEqual(['Engineering']);
  });

  it('leaves groups the provider does not manage and other members alone', async () => {
    const ctx = world.ts.server.ctx;
    const now = ctx.now();
    await storage().scim.createGroup({ id: `grp_hand_${now}`, displayName: `Hand-made ${now}`, externalId: null, createdAt: now, updatedAt: now });
    const sub = `dave-${Date.now().toString(36)}`;
    world.idp.setAccount(sub, { email: `${sub}@corp.example`, email_verified: true, groups: ['engineering'] });
    const userId = await signInAs(sub);
    await storage().scim.setGroupMembers(`grp_hand_${now}`, [userId]);
    const engineering = await storage().scim.getGroupByName('Engineering');
    const before = await storage().scim.listGroupMembers(engineering!.id);

    world.idp.setAccount(sub, { email: `${sub}@corp.example`, email_verified: true, groups: [] });
    await signInAs(sub);
    expect(await groupsOf(userId)).toEqual([`Hand-made ${now}`]);
    expect(await storage().scim.listGroupMembers(engineering!.id)).toEqual(before.filter((id) => id !== userId));
  });
});
