/**
 * AU-2 chain of custody through the admin API: from a token id or an audit event, every exchange
 * back to the original issuance, with the actors at each hop and whether each token is still live.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessTokenClaims, type TokenServer } from '../token/fixtures.ts';
import { admin, ADMIN_CLI, mintToken } from '../admin/support.ts';
import { auth, createAgent, exchange, EXCHANGE_CLIENTS, EXCHANGE_SCOPES, FILES, MCP, startExchangeServer, TT, userToken, type TestAgent } from './fixtures.ts';

describe('AU-2 chain of custody (admin API)', () => {
  let server: TokenServer;
  let first: TestAgent;
  let second: TestAgent;
  let adminToken: string;
  beforeAll(async () => {
    server = await startExchangeServer({
      scopesSupported: [...EXCHANGE_SCOPES, 'mandate:admin'],
      clients: [...EXCHANGE_CLIENTS, { client_id: ADMIN_CLI.id, client_secret: ADMIN_CLI.secret, grant_types: ['client_credentials'], scope: 'mandate:admin' }],
    });
    first = await createAgent(server, server.alice);
    second = await createAgent(server, server.alice);
    adminToken = (await mintToken(server.ts)).token;
  });
  afterAll(async () => {
    await server?.close();
  });

  async function twoHops() {
    const user = await userToken(server);
    const hop1 = await exchange(server, { subject_token: user.token, subject_token_type: TT.accessToken, actor_token: await first.assertion(), actor_token_type: TT.jwt, resource: MCP, scope: 'mcp:read files:read' }, auth.orchestrator);
    const hop2 = await exchange(server, { subject_token: hop1.body.access_token, subject_token_type: TT.accessToken, actor_token: await second.assertion(), actor_token_type: TT.jwt, resource: FILES, scope: 'files:read' }, auth.mcp);
    expect(hop2.status).toBe(200);
    return { user, jtis: [accessTokenClaims(hop2.body.access_token).jti, accessTokenClaims(hop1.body.access_token).jti, accessTokenClaims(user.token).jti] as string[] };
  }

  it('walks from the last token back to the user\'s authorization code grant, with the actors of every hop', async () => {
    const { jtis } = await twoHops();
    const res = await admin(server.ts, adminToken, 'GET', `/custody/tokens/${jtis[0]}`);
    expect(res.status).toBe(200);
    const hops = res.json.hops;
    expect(hops.map((h: { jti: string }) => h.jti)).toEqual(jtis);
    expect(hops[0]).toMatchObject({ subject_jti: jtis[1], revoked: false, event: { event: 'token_exchanged', client_id: 'mcp-server', agent_id: second.record.id, user_id: server.alice.id, granted_scope: 'files:read' } });
    expect(hops[0].event.data.actors).toEqual([second.record.id, first.record.id]);
    expect(hops[1]).toMatchObject({ subject_jti: jtis[2], event: { event: 'token_exchanged', client_id: 'orchestrator', agent_id: first.record.id } });
    expect(hops[2]).toMatchObject({ subject_jti: null, event: { event: 'token_issued', client_id: 'host', data: { grant_type: 'authorization_code' } } });
  });

  it('starts from an audit event id as well, and shows revocation along the chain', async () => {
    const { user, jtis } = await twoHops();
    const events = await server.ctx.storage.audit.list({ event: 'token_exchanged', limit: 10_000 });
    const last = events.find((e) => e.data?.jti === jtis[0])!;
    await server.ctx.storage.grants.revokeTree(user.grantId, server.ctx.now(), 'consent withdrawn');
    const res = await admin(server.ts, adminToken, 'GET', `/custody/audit-events/${last.id}`);
    expect(res.status).toBe(200);
    expect(res.json.hops.map((h: { jti: string }) => h.jti)).toEqual(jtis);
    expect(res.json.hops.map((h: { revoked: boolean }) => h.revoked)).toEqual([true, true, true]);
  });

  it('finds every hop by its issuing event after the sweep purged the access token rows (liveness then unknown)', async () => {
    const { jtis } = await twoHops();
    // Far enough ahead that every token row, the admin's too, counts as expired.
    expect(await server.ctx.storage.accessTokens.purgeExpired(server.ctx.now() + 10 * 365 * 86_400, 1000)).toBeGreaterThanOrEqual(3);
    for (const jti of jtis) expect(await server.ctx.storage.accessTokens.get(jti)).toBeNull();
    adminToken = (await mintToken(server.ts)).token;
    const res = await admin(server.ts, adminToken, 'GET', `/custody/tokens/${jtis[0]}`);
    expect(res.status).toBe(200);
    expect(res.json.hops.map((h: { jti: string }) => h.jti)).toEqual(jtis);
    expect(res.json.hops.map((h: { event: { event: string } }) => h.event.event)).toEqual(['token_exchanged', 'token_exchanged', 'token_issued']);
    expect(res.json.hops.map((h: { event: { data: { jti: string } } }) => h.event.data.jti)).toEqual(jtis);
    expect(res.json.hops.map((h: { revoked: boolean | null }) => h.revoked)).toEqual([null, null, null]);
  });

  it('unknown token or event → 404; without the admin scope → refused', async () => {
    expect((await admin(server.ts, adminToken, 'GET', '/custody/tokens/no-such-jti')).status).toBe(404);
    expect((await admin(server.ts, adminToken, 'GET', '/custody/audit-events/no-such-event')).status).toBe(404);
    const { token } = await userToken(server);
    expect([401, 403]).toContain((await admin(server.ts, token, 'GET', `/custody/tokens/${accessTokenClaims(token).jti}`)).status);
  });
});
