/**
 * CO-1 on token exchange: deleting a client revokes its grants and tokens in one transaction
 * (clients/lifecycle.ts). An exchange authenticates its client, then signs, then writes a derived
 * grant for that client; a deletion committing while the token is signed would run its revocation
 * before that grant exists and never see it — a live grant and token of a deleted client. The
 * issuing transaction re-reads the client (grants/shared/client-liveness.ts, FOR KEY SHARE on
 * PostgreSQL): the exchange gets invalid_client and nothing is written.
 */
import { describe, expect, it } from 'vitest';
import { deleteClient } from '../../src/clients/lifecycle.ts';
import { auth, duringNextSign, exchange, MCP, TT, useExchangeServer, userToken } from './fixtures.ts';
import type { Backend } from '../helpers/isolated-database.ts';

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`token exchange racing the deletion of its client (${backend})`, () => {
    const h = useExchangeServer(backend);

    it('the requesting client deleted while the exchanged token is signed → invalid_client, no derived grant, no token', async () => {
      const { server, agent } = h;
      const { token } = await userToken(server);
      const grantsBefore = await server.ctx.storage.grants.list({ userId: server.alice.id, includeRevoked: true });
      const res = await duringNextSign(
        server,
        () => deleteClient(server.ctx, 'orchestrator', 'client_deleted'),
        async () => exchange(server, { subject_token: token, subject_token_type: TT.accessToken, actor_token: await agent.assertion(), actor_token_type: TT.jwt, resource: MCP, scope: 'mcp:read' }, auth.orchestrator),
      );
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: 'invalid_client' });
      expect(res.body.access_token).toBeUndefined();
      const grantsAfter = await server.ctx.storage.grants.list({ userId: server.alice.id, includeRevoked: true });
      expect(grantsAfter.length).toBe(grantsBefore.length);
      expect(grantsAfter.filter((g) => g.clientId === 'orchestrator' && g.revokedAt === null)).toEqual([]);
    });
  });
}
