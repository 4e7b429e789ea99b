/**
 * VA-2: a linked account's credential leaves the vault only through token exchange (RFC 8693) at
 * the real /token endpoint, to the clients and agents the release policy names. The third-party
 * provider is a real oidc-provider on loopback: the released token is used at its API, a refresh
 * before expiry goes to it, and no refresh token is ever handed out. ID-2: deprovisioning marks
 * the user's entries revoked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRecord } from '../../src/storage/records.ts';
import { deprovisionUser } from '../../src/account/deprovision.ts';
import { activateAgent, suspendAgent } from '../../src/agents/registry.ts';
import { VaultEntryUnusableError } from '../../src/vault/errors.ts';
import { auditEvents, createUser, expectNoSecretsInAudit, postForm, type JsonResponse, type TokenServer } from '../token/fixtures.ts';
import { auth, createAgent, exchange, EXCHANGE_SECRET, MCP, ORCHESTRATOR, FILES, CRM, SHALLOW, PARTNER_AS, startExchangeServer, TT, userToken, type TestAgent } from '../token-exchange/fixtures.ts';
import { CLIENT_SECRET } from './support/third-party-provider.ts';
import { createGithubLike, linkThroughProvider, userinfo, useThirdPartyProvider } from './support/vault-fixture.ts';

const TP = 'urn:mandate:vault:tp';
const KEY = 'urn:mandate:vault:apikey';
const API_KEY = 'sk_live_release_test_0123456789abcdef';
const AUDIENCES = [ORCHESTRATOR, MCP, FILES, CRM, SHALLOW, PARTNER_AS, TP, KEY];

function release(server: TokenServer, token: string, form: Record<string, string>, as = auth.mcp): Promise<JsonResponse> {
  return exchange(server, { subject_token: token, subject_token_type: TT.accessToken, requested_token_type: TT.accessToken, ...form }, as);
}

function expectRefused(res: JsonResponse, error: string, description: RegExp): void {
  expect(res.status).toBe(error === 'temporarily_unavailable' ? 503 : 400);
  expect(res.body.error).toBe(error);
  expect(res.body.error_description).toMatch(description);
  expect(res.body.access_token).toBeUndefined();
}

describe.each(['sqlite', 'postgres'] as const)('vault release through token exchange (%s)', (backend) => {
  const tp = useThirdPartyProvider();
  let server: TokenServer;
  let allowed: TestAgent;
  let other: TestAgent;
  let unregistered: TestAgent;
  let bob: UserRecord;

  beforeAll(async () => {
    server = await startExchangeServer(
      {
        ttl: { accessToken: 7200 },
        federation: { devAllowedHosts: [tp.provider.hostPort] }, // the loopback provider, past the vault's SSRF guard
        vault: {
          release: [
            { connection: 'tp', clients: ['mcp-server'], agents: ['agt_allowed', 'agt_unregistered'], scope: ['mcp:read'] },
            { connection: 'apikey', clients: ['mcp-server'] },
            { connection: 'ghost', clients: ['mcp-server'] },
          ],
        },
      },
      backend,
    );
    const { ctx, alice } = server;
    allowed = await createAgent(server, alice, { id: 'agt_allowed', allowedAudiences: AUDIENCES });
    other = await createAgent(server, alice, { id: 'agt_other', allowedAudiences: AUDIENCES });
    unregistered = await createAgent(server, alice, { id: 'agt_unregistered', allowedAudiences: [MCP] });
    bob = await createUser(ctx, 'bob@example.com', 'Bob');
    await createGithubLike(ctx.vault, tp.provider);
    await linkThroughProvider(ctx.vault, tp.provider, alice.id, 'alice-at-tp');
    await ctx.vault.createConnection({ id: 'apikey', kind: 'static', displayName: 'API key' });
    await ctx.vault.storeStaticKey(alice.id, 'apikey', API_KEY);
  });
  afterAll(() => server?.close());

  const aliceToken = async (scope = 'openid mcp:read') => (await userToken(server, { scope, resources: [MCP] })).token;

  it('an allowed client receives the provider access token, usable at the provider, never a refresh token', async () => {
    const res = await release(server, await aliceToken(), { audience: TP });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ issued_token_type: TT.accessToken, token_type: 'Bearer' });
    expect(res.body.refresh_token).toBeUndefined();
    expect(res.body.expires_in).toBeGreaterThan(3000);
    expect(res.body.expires_in).toBeLessThanOrEqual(3600);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await userinfo(tp.provider, res.body.access_token)).toEqual({ status: 200, sub: 'alice-at-tp' });
    // The same credential again: the stored token is still fresh, so no new provider token.
    const again = await release(server, await aliceToken(), { resource: TP });
    expect(again.body.access_token).toBe(res.body.access_token);

    const [event] = await auditEvents(server, 'vault_released');
    expect(event).toMatchObject({ userId: server.alice.id, clientId: 'mcp-server', agentId: null, resource: TP, result: 'success' });
    expect(event!.data).toMatchObject({ connection: 'tp', credential_kind: 'oauth', actors: [], principal: server.alice.id });
    await expectNoSecretsInAudit(server, [res.body.access_token, CLIENT_SECRET, EXCHANGE_SECRET.mcp]);
  });

  it('an allowed agent (actor_token) receives it; the audit names the agent', async () => {
    const res = await release(server, await aliceToken(), { audience: TP, actor_token: await allowed.assertion(), actor_token_type: TT.jwt });
    expect(res.status).toBe(200);
    expect(res.body.refresh_token).toBeUndefined();
    const events = await auditEvents(server, 'vault_released');
    expect(events.some((e) => e.agentId === 'agt_allowed' && e.clientId === 'mcp-server' && e.userId === server.alice.id && (e.data as { actors: string[] }).actors.includes('agt_allowed'))).toBe(true);
  });

  it('a refresh near expiry goes to the provider; the new token is released, the refresh token is not', async () => {
    const before = await release(server, await aliceToken(), { audience: TP });
    server.shiftClock(3600 - 30); // 30 s left of the provider token: inside the 60 s refresh skew
    try {
      const res = await release(server, await aliceToken(), { audience: TP });
      expect(res.status).toBe(200);
      expect(res.body.access_token).not.toBe(before.body.access_token);
      expect(res.body.refresh_token).toBeUndefined();
      expect(await userinfo(tp.provider, res.body.access_token)).toMatchObject({ status: 200, sub: 'alice-at-tp' });
    } finally {
      server.shiftClock(0);
    }
  });

  it('a static key is released as N_A to an allowed client', async () => {
    const res = await release(server, await aliceToken(), { audience: KEY });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ access_token: API_KEY, issued_token_type: 'urn:mandate:token-type:api-key', token_type: 'N_A' });
    const events = await auditEvents(server, 'vault_released');
    expect(events.some((e) => (e.data as { connection: string }).connection === 'apikey')).toBe(true);
    await expectNoSecretsInAudit(server, [API_KEY]);
  });

  it('a client the policy does not list → invalid_target, nothing released, refusal audited with the reason', async () => {
    const { token } = await userToken(server, { scope: 'openid mcp:read', resources: [ORCHESTRATOR] });
    const before = (await auditEvents(server, 'vault_released')).length;
    expectRefused(await release(server, token, { audience: TP }, auth.orchestrator), 'invalid_target', /may not receive credentials/);
    expectRefused(await release(server, token, { audience: KEY }, auth.orchestrator), 'invalid_target', /may not receive credentials/);
    expect(await auditEvents(server, 'vault_released')).toHaveLength(before);
    const refused = (await auditEvents(server, 'token_exchange_refused')).find((e) => e.clientId === 'orchestrator' && e.resource === TP);
    expect(refused).toMatchObject({ userId: server.alice.id, result: 'failure' });
    expect(refused!.reason).toMatch(/^invalid_target: .*may not receive credentials/);
  });

  it('an agent the policy does not list, or not registered for the audience → invalid_target', async () => {
    const token = await aliceToken();
    expectRefused(await release(server, token, { audience: TP, actor_token: await other.assertion(), actor_token_type: TT.jwt }), 'invalid_target', /agent 'agt_other' may not receive/);
    expectRefused(await release(server, token, { audience: TP, actor_token: await unregistered.assertion(), actor_token_type: TT.jwt }), 'invalid_target', /agent 'agt_unregistered' may not obtain tokens/);
    const refused = (await auditEvents(server, 'token_exchange_refused')).find((e) => e.agentId === 'agt_other');
    expect(refused).toMatchObject({ clientId: 'mcp-server', userId: server.alice.id, resource: TP });
    // A static key is not released to an agent its policy does not list (apikey lists none).
    expectRefused(await release(server, token, { audience: KEY, actor_token: await allowed.assertion(), actor_token_type: TT.jwt }), 'invalid_target', /agent 'agt_allowed'/);
  });

  it('a subject token without the required scope → invalid_scope', async () => {
    expectRefused(await release(server, await aliceToken('openid files:read'), { audience: TP }), 'invalid_scope', /mcp:read/);
  });

  it('a user with no linked account → invalid_grant', async () => {
    const { token } = await userToken(server, { user: bob, scope: 'openid mcp:read', resources: [MCP] });
    expectRefused(await release(server, token, { audience: TP }), 'invalid_grant', /no linked account/);
    expectRefused(await release(server, token, { audience: KEY }), 'invalid_grant', /no linked account/);
  });

  it('an entry whose refresh failed → invalid_grant asking to link again', async () => {
    const carol = await createUser(server.ctx, 'carol@example.com', 'Carol');
    const entry = await server.ctx.vault.storeStaticKey(carol.id, 'apikey', 'sk_carol_0123456789');
    await server.ctx.storage.vault.entries.setStatus(entry.id, 'refresh_failed', 'invalid_grant', server.ctx.now());
    const { token } = await userToken(server, { user: carol, scope: 'openid mcp:read', resources: [MCP] });
    expectRefused(await release(server, token, { audience: KEY }), 'invalid_grant', /linked again: the provider refused to refresh it\./);
  });

  it('an entry whose access expired with no refresh token → invalid_grant saying so, not that the provider refused', async () => {
    const dave = await createUser(server.ctx, 'dave-expired@example.com', 'Dave');
    const entry = await server.ctx.vault.storeStaticKey(dave.id, 'apikey', 'sk_dave_0123456789');
    await server.ctx.storage.vault.entries.setStatus(entry.id, 'refresh_failed', 'no_refresh_token', server.ctx.now());
    const { token } = await userToken(server, { user: dave, scope: 'openid mcp:read', resources: [MCP] });
    expectRefused(await release(server, token, { audience: KEY }), 'invalid_grant', /linked again: its access expired and the provider gave no way to renew it\./);
  });

  it('a revoked subject token → invalid_request', async () => {
    const { token } = await userToken(server, { scope: 'openid mcp:read', resources: [MCP] });
    const revoked = await postForm(`${server.issuer}/revoke`, { token }, auth.host);
    expect(revoked.status).toBe(200);
    expectRefused(await release(server, token, { audience: TP }), 'invalid_request', /revoked/);
  });

  it('unknown connection → invalid_target; a second target, or an ID-JAG, is refused', async () => {
    const token = await aliceToken();
    expectRefused(await release(server, token, { audience: 'urn:mandate:vault:ghost' }), 'invalid_target', /does not exist/);
    expectRefused(await release(server, token, { audience: 'urn:mandate:vault:nope' }), 'invalid_target', /may not receive/);
    expectRefused(await exchange(server, { subject_token: token, subject_token_type: TT.accessToken, audience: [TP, MCP] }, auth.mcp), 'invalid_target', /exactly one target/);
    expectRefused(await exchange(server, { subject_token: token, subject_token_type: TT.accessToken, requested_token_type: TT.idJag, audience: TP }, auth.mcp), 'invalid_request', /requested_token_type/);
    expectRefused(await release(server, token, { audience: TP, scope: 'admin:all' }), 'invalid_scope', /admin:all/);
  });

  it('an agent suspended while the provider refresh is under way → invalid_request, nothing released, refusal audited', async () => {
    const before = (await auditEvents(server, 'vault_released')).length;
    // Past the expiry of the provider token refreshed by the skew test above (obtained at +3570 s):
    // the release has to refresh, and waits on the provider.
    server.shiftClock(2 * 3600);
    try {
      const held = tp.provider.holdNextTokenResponse();
      const releasing = release(server, await aliceToken(), { audience: TP, actor_token: await allowed.assertion(), actor_token_type: TT.jwt });
      const send = await held;
      await suspendAgent(server.ctx, (await server.ctx.storage.agents.get(allowed.record.id))!, 'suspended by test', 'admin');
      send();
      expectRefused(await releasing, 'invalid_request', /suspended/);
    } finally {
      server.shiftClock(0);
      await activateAgent(server.ctx, (await server.ctx.storage.agents.get(allowed.record.id))!, 'admin');
    }
    expect(await auditEvents(server, 'vault_released')).toHaveLength(before);
    const refused = (await auditEvents(server, 'token_exchange_refused')).find((e) => e.agentId === allowed.record.id && /suspended/.test(e.reason ?? ''));
    expect(refused).toMatchObject({ userId: server.alice.id, clientId: 'mcp-server', result: 'failure', resource: TP });
  });

  it('ID-2: deprovisioning marks every vault entry revoked; unlinkAllForUser then revokes at the provider', async () => {
    const dave = await createUser(server.ctx, 'dave@example.com', 'Dave');
    await linkThroughProvider(server.ctx.vault, tp.provider, dave.id, 'dave-at-tp');
    await server.ctx.vault.storeStaticKey(dave.id, 'apikey', 'sk_dave_0123456789');
    const providerToken = (await server.ctx.vault.accessToken(dave.id, 'tp')).accessToken;

    const done = await deprovisionUser(server.ctx, dave, 'deactivated by test');
    expect(done.revokedVaultEntries).toHaveLength(2);
    for (const e of await server.ctx.storage.vault.entries.listForUser(dave.id)) expect(e.status).toBe('revoked');
    await expect(server.ctx.vault.accessToken(dave.id, 'tp')).rejects.toBeInstanceOf(VaultEntryUnusableError);
    await expect(server.ctx.vault.staticKey(dave.id, 'apikey')).rejects.toBeInstanceOf(VaultEntryUnusableError);

    expect(await server.ctx.vault.unlinkAllForUser(dave.id)).toEqual({ unlinked: 2, revocationFailed: 0 });
    expect((await userinfo(tp.provider, providerToken)).status).toBe(401);
    expect(await server.ctx.storage.vault.entries.listForUser(dave.id)).toEqual([]);
  });
});
