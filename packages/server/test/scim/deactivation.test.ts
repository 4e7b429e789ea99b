/**
 * ID-2 deprovisioning through SCIM: `active: false` (PATCH or PUT) or DELETE disables login,
 * suspends the user's agents and revokes every grant — the user's and their agents' — so every
 * token is inactive at introspection (RFC 7662) at once. The admin API's disable takes the same
 * path (account/deprovision.ts) and leaves the same state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../../src/crypto/hash.ts';
import type { AgentRecord, UserRecord } from '../../src/storage/records.ts';
import type { ServerContext } from '../../src/context.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { createGrant, grantToken } from '../agents/support.ts';
import { TestBrowser } from '../interaction/support/browser.ts';
import { authorizeUrl, createClient, createUser, pkce, validParams, type TestUser } from '../interaction/support/fixtures.ts';
import { beginAuthorization, location, submitPassword } from '../interaction/support/flow.ts';
import { ADMIN_CLI, clientToken, IDP, introspectsActive, patchOps, scim, startScimServer, USER_SCHEMA } from './support.ts';

const AGENT_EXT = 'urn:mandate:params:scim:schemas:extension:agent:2.0:User';

describe.each(['sqlite', 'postgres'] as const)('ID-2 SCIM deactivation (%s)', (backend) => {
  let s: TestServer;
  let ctx: ServerContext;
  let token: string;
  let clientId: string;
  beforeAll(async () => {
    s = await startScimServer({ login: { maxFailures: 100 } }, backend);
    ctx = s.server.ctx;
    token = await clientToken(s, IDP, 'mandate:scim');
    clientId = (await createClient(ctx)).clientId;
  });
  afterAll(() => s.close());

  async function agentOf(user: UserRecord): Promise<AgentRecord> {
    const t = ctx.now();
    const agent: AgentRecord = {
      id: randomId('agt'), name: 'Inbox triage', description: 'Sorts mail', ownerUserId: user.id, allowedScopes: ['mcp:read'], allowedAudiences: [], allowedTools: [],
      maxDelegationDepth: 1, status: 'active', suspendedBy: null, attestation: null, jwks: null, clientId: null, createdAt: t, updatedAt: t,
    };
    await ctx.storage.agents.create(agent);
    return agent;
  }

  /** A user with a password, an agent, their own grant and an agent grant derived from it, with live tokens. */
  async function provisioned() {
    const user = await createUser(ctx, { totp: false });
    const agent = await agentOf(user.record);
    const own = await createGrant(ctx, { userId: user.record.id });
    const delegated = await createGrant(ctx, { userId: user.record.id, agentId: agent.id, parentGrantId: own.id });
    const tokens = { own: await grantToken(ctx, own), agent: await grantToken(ctx, delegated) };
    return { user, agent, grants: { own, delegated }, tokens };
  }

  const active = (accessToken: string) => introspectsActive(s, accessToken);

  async function login(user: TestUser): Promise<string> {
    const browser = new TestBrowser();
    const interactionUrl = await beginAuthorization(browser, authorizeUrl(s.issuer, validParams((await ctx.storage.clients.get(clientId))!, pkce().challenge)));
    return location(await submitPassword(browser, interactionUrl, user.email, user.password));
  }

  it('PATCH active=false: login refused, agent suspended, every grant and token revoked at once; one audit event names it all', async () => {
    const p = await provisioned();
    expect(await login(p.user)).not.toContain('error=');
    expect(await active(p.tokens.own.token)).toBe(true);
    expect(await active(p.tokens.agent.token)).toBe(true);
    const before = await scim(s, token, 'GET', `/Users/${p.user.record.id}`);
    expect(before.json.schemas).toEqual([USER_SCHEMA, AGENT_EXT]);
    expect(before.json[AGENT_EXT].agents).toEqual([expect.objectContaining({ value: p.agent.id, display: 'Inbox triage', status: 'active' })]);

    const res = await scim(s, token, 'PATCH', `/Users/${p.user.record.id}`, patchOps({ op: 'replace', path: 'active', value: false }));
    expect(res.status).toBe(200);
    expect(res.json.active).toBe(false);
    expect(res.json[AGENT_EXT].agents[0].status).toBe('suspended');

    expect(await login(p.user)).toContain('error=credentials');
    const logins = await ctx.storage.audit.list({ event: 'login', userId: p.user.record.id });
    expect(logins.at(-1)).toMatchObject({ result: 'failure', reason: 'account_disabled' });
    expect((await ctx.storage.agents.get(p.agent.id))!.status).toBe('suspended');
    expect(await active(p.tokens.own.token)).toBe(false);
    expect(await active(p.tokens.agent.token)).toBe(false);
    for (const g of Object.values(p.grants)) expect((await ctx.storage.grants.get(g.id))!.revokedAt).not.toBeNull();
    const feed = new Set((await ctx.storage.revocations.list({})).map((e) => e.jti));
    expect(feed.has(p.tokens.own.jti) && feed.has(p.tokens.agent.jti)).toBe(true);

    const [event] = await ctx.storage.audit.list({ event: 'scim.user.deactivated', userId: p.user.record.id });
    expect(event).toMatchObject({ clientId: IDP.id, result: 'success' });
    expect(event!.data).toMatchObject({ suspended_agents: [p.agent.id] });
    expect([...(event!.data!.revoked_grants as string[])].sort()).toEqual([p.grants.own.id, p.grants.delegated.id].sort());
    // Filtering by the extension finds the suspended agent's owner.
    const filter = encodeURIComponent(`${AGENT_EXT}:agents[status eq "suspended"] and active eq false and id eq "${p.user.record.id}"`);
    expect((await scim(s, token, 'GET', `/Users?filter=${filter}`)).json.totalResults).toBe(1);
  });

  it('re-activation restores login only: the agent stays suspended, revoked tokens stay revoked', async () => {
    const p = await provisioned();
    await scim(s, token, 'PATCH', `/Users/${p.user.record.id}`, patchOps({ op: 'replace', value: { active: 'False' } })); // Azure AD's form
    expect((await ctx.storage.users.get(p.user.record.id))!.disabled).toBe(true);
    const res = await scim(s, token, 'PATCH', `/Users/${p.user.record.id}`, patchOps({ op: 'replace', path: 'active', value: true }));
    expect(res.json.active).toBe(true);
    expect(await login(p.user)).not.toContain('error=');
    expect((await ctx.storage.agents.get(p.agent.id))!.status).toBe('suspended');
    expect(await active(p.tokens.own.token)).toBe(false);
    expect((await ctx.storage.audit.list({ event: 'scim.user.reactivated', userId: p.user.record.id })).length).toBe(1);
  });

  it('PUT with active=false and DELETE deprovision the same way', async () => {
    const viaPut = await provisioned();
    const current = (await scim(s, token, 'GET', `/Users/${viaPut.user.record.id}`)).json;
    expect((await scim(s, token, 'PUT', `/Users/${viaPut.user.record.id}`, { ...current, active: false })).json.active).toBe(false);
    const viaDelete = await provisioned();
    expect((await scim(s, token, 'DELETE', `/Users/${viaDelete.user.record.id}`)).status).toBe(204);
    for (const p of [viaPut, viaDelete]) {
      expect(await login(p.user)).toContain('error=credentials');
      expect((await ctx.storage.agents.get(p.agent.id))!.status).toBe('suspended');
      expect(await active(p.tokens.own.token)).toBe(false);
      expect(await active(p.tokens.agent.token)).toBe(false);
    }
  });

  it('the admin API’s disable leaves exactly the state SCIM’s deactivation leaves', async () => {
    const viaScim = await provisioned();
    const viaAdmin = await provisioned();
    await scim(s, token, 'PATCH', `/Users/${viaScim.user.record.id}`, patchOps({ op: 'replace', path: 'active', value: false }));
    const adminToken = await clientToken(s, ADMIN_CLI, 'mandate:admin');
    const res = await fetch(`${s.issuer}/admin/v1/users/${viaAdmin.user.record.id}/disable`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}` } });
    expect(res.status).toBe(200);
    const state = async (p: Awaited<ReturnType<typeof provisioned>>) => ({
      disabled: (await ctx.storage.users.get(p.user.record.id))!.disabled,
      agent: (await ctx.storage.agents.get(p.agent.id))!.status,
      grants: await Promise.all(Object.values(p.grants).map(async (g) => (await ctx.storage.grants.get(g.id))!.revokedAt !== null)),
      tokens: [await active(p.tokens.own.token), await active(p.tokens.agent.token)],
    });
    expect(await state(viaScim)).toEqual(await state(viaAdmin));
    expect(await state(viaScim)).toEqual({ disabled: true, agent: 'suspended', grants: [true, true], tokens: [false, false] });
  });
});
