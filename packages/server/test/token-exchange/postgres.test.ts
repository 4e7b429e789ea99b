/**
 * Token exchange on PostgreSQL: a two-hop chain (derived grants, actor jti replay cache, audit in
 * the issuance transaction) and revocation of the whole tree, on the second storage backend.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessTokenClaims, introspect, type TokenServer } from '../token/fixtures.ts';
import { auth, createAgent, exchange, FILES, MCP, startExchangeServer, TT, userToken } from './fixtures.ts';

describe('RFC 8693 token exchange on PostgreSQL', () => {
  let server: TokenServer;
  beforeAll(async () => {
    server = await startExchangeServer({}, 'postgres');
  });
  afterAll(async () => {
    await server?.close();
  });

  it('two hops nest the actors, a replayed actor token is refused, revoking the user grant ends the chain', async () => {
    const a = await createAgent(server, server.alice);
    const b = await createAgent(server, server.alice);
    const { token, grantId } = await userToken(server);
    const assertion = await a.assertion();
    const hop1 = await exchange(server, { subject_token: token, subject_token_type: TT.accessToken, actor_token: assertion, actor_token_type: TT.jwt, resource: MCP, scope: 'mcp:read files:read' }, auth.orchestrator);
    expect(hop1.status).toBe(200);
    const replay = await exchange(server, { subject_token: token, subject_token_type: TT.accessToken, actor_token: assertion, actor_token_type: TT.jwt, resource: MCP }, auth.orchestrator);
    expect(replay.body).toMatchObject({ error: 'invalid_request' });
    const hop2 = await exchange(server, { subject_token: hop1.body.access_token, subject_token_type: TT.accessToken, actor_token: await b.assertion(), actor_token_type: TT.jwt, resource: FILES }, auth.mcp);
    expect(hop2.status).toBe(200);
    expect(accessTokenClaims(hop2.body.access_token)).toMatchObject({ sub: server.alice.id, aud: FILES, scope: 'files:read mcp:read', act: { sub: b.record.id, act: { sub: a.record.id } } });

    const revoked = await server.ctx.storage.grants.revokeTree(grantId, server.ctx.now(), 'consent withdrawn');
    expect(revoked).toHaveLength(3);
    expect((await introspect(server, hop2.body.access_token)).body).toEqual({ active: false });
    const events = await server.ctx.storage.audit.list({ event: 'token_exchanged', limit: 100 });
    expect(events.map((e) => e.agentId)).toEqual([a.record.id, b.record.id]);
  });
});
