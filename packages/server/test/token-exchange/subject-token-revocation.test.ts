/**
 * CO-1 (issue 3) for RFC 7009 revocation of one access token that was exchanged (RFC 8693): the
 * grants exchanged from it (grants.subject_token_jti, migration 0016) and everything under them are
 * revoked with it — inactive at introspection (RFC 7662 §2.2), their refresh tokens refused, all of
 * it on the signed revocation feed — while the token's own grant and its other tokens stay live.
 * A revocation that commits while an exchange of the token is being signed refuses the exchange;
 * one that starts inside the exchange's transaction waits for it and then revokes what it wrote.
 * On SQLite and PostgreSQL.
 */
import { describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import type { PublishedRevocation } from '../../src/revocation/feed.ts';
import type { Backend } from '../helpers/isolated-database.ts';
import { hookTransactions, interleaveOnce } from '../helpers/transaction-hooks.ts';
import { accessTokenClaims, auditEvents, introspect, postForm, refresh, SECRET, type JsonResponse, type TokenServer } from '../token/fixtures.ts';
import { auth, createAgent, duringNextSign, exchange, exchangeConfig, EXCHANGE_CLIENTS, FILES, MCP, TOKEN_EXCHANGE, TT, useExchangeServer, userToken, type TestAgent } from './fixtures.ts';

/** The on-behalf-of hops also registered for refresh_token, so exchanged grants get refresh tokens. */
function config() {
  const clients = EXCHANGE_CLIENTS.map((c) => (c.client_id === 'orchestrator' || c.client_id === 'mcp-server' ? { ...c, grant_types: [TOKEN_EXCHANGE, 'client_credentials', 'refresh_token'] } : c));
  return { ...exchangeConfig(), clients };
}

const jtiOf = (token: string): string => String(accessTokenClaims(token).jti);

function revoke(server: TokenServer, token: string): Promise<JsonResponse> {
  return postForm(`${server.issuer}/revoke`, { token }, auth.host);
}

/** Every event of the signed feed, as the resource server reads it. */
async function feedEvents(server: TokenServer): Promise<PublishedRevocation[]> {
  const res = await fetch(`${server.issuer}/revocations?after=0&limit=1000`, { headers: { authorization: `Basic ${Buffer.from(`resource-server:${SECRET.rs}`).toString('base64')}` } });
  expect(res.status).toBe(200);
  return (decodeJwt(await res.text()) as unknown as { events: PublishedRevocation[] }).events;
}

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`RFC 7009 revocation of an exchanged access token (${backend})`, () => {
    const h = useExchangeServer(backend, config);

    async function hop(subject: string, by: 'orchestrator' | 'mcp', agent: TestAgent, resource: string, scope: string): Promise<JsonResponse> {
      const res = await exchange(h.server, { subject_token: subject, subject_token_type: TT.accessToken, actor_token: await agent.assertion(), actor_token_type: TT.jwt, resource, scope }, auth[by]);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res;
    }

    const grantOf = async (token: string) => (await h.server.ctx.storage.accessTokens.get(jtiOf(token)))!.grantId!;

    it('RFC 7009 §2.1 / CO-1: revoking T at /revoke → tokens exchanged from T (and on from them) inactive, their refresh tokens refused, the feed lists them', async () => {
      const { server, agent } = h;
      const second = await createAgent(server, server.alice);
      const { token: t } = await userToken(server);
      const hop1 = await hop(t, 'orchestrator', agent, MCP, 'mcp:read files:read offline_access');
      const hop2 = await hop(hop1.body.access_token, 'mcp', second, FILES, 'files:read offline_access');
      const sibling = await userToken(server); // another grant of the user: untouched
      const aside = await hop(sibling.token, 'orchestrator', agent, MCP, 'mcp:read');
      const derived = [await grantOf(hop1.body.access_token), await grantOf(hop2.body.access_token)];
      expect((await server.ctx.storage.grants.get(derived[0]!))?.subjectTokenJti).toBe(jtiOf(t));

      expect((await revoke(server, t)).status).toBe(200);
      for (const token of [t, hop1.body.access_token, hop2.body.access_token]) expect((await introspect(server, token)).body).toEqual({ active: false });
      expect((await refresh(server, hop1.body.refresh_token, {}, auth.orchestrator)).body.error).toBe('invalid_grant');
      expect((await refresh(server, hop2.body.refresh_token, {}, auth.mcp)).body.error).toBe('invalid_grant');
      expect((await introspect(server, aside.body.access_token)).body.active).toBe(true);
      // RFC 7009 revokes the token, not its grant: the user's grant lives on (only what was exchanged from T goes).
      expect((await server.ctx.storage.grants.get((await server.ctx.storage.accessTokens.get(jtiOf(t)))!.grantId!))?.revokedAt).toBeNull();

      const events = await feedEvents(server);
      const jtis = new Set(events.map((e) => e.jti));
      for (const token of [t, hop1.body.access_token, hop2.body.access_token]) expect(jtis.has(jtiOf(token))).toBe(true);
      expect(events.filter((e) => e.grant_id !== undefined && derived.includes(e.grant_id)).map((e) => e.grant_id).sort()).toEqual([...derived].sort());
      expect(jtis.has(jtiOf(aside.body.access_token))).toBe(false);
      const audited = (await auditEvents(server, 'token_revoked')).find((e) => e.data?.jti === jtiOf(t));
      expect((audited?.data?.revoked_grants as string[]).sort()).toEqual([...derived].sort());
    });

    it('RFC 7009 §2.1 / CO-1: T revoked between the exchange\'s signature and its issuing transaction → refused, nothing stored', async () => {
      const { server, agent } = h;
      const { token: t } = await userToken(server);
      const assertion = await agent.assertion();
      const res = await duringNextSign(
        server,
        async () => expect((await revoke(server, t)).status).toBe(200),
        () => exchange(server, { subject_token: t, subject_token_type: TT.accessToken, actor_token: assertion, actor_token_type: TT.jwt, resource: MCP, scope: 'mcp:read offline_access' }, auth.orchestrator),
      );
      expect((await introspect(server, t)).body).toEqual({ active: false });
      expect(res.body).toMatchObject({ error: 'invalid_request', error_description: 'The subject_token has been revoked.' });
      const grants = await server.ctx.storage.grants.list({ userId: server.alice.id, includeRevoked: true, limit: 10_000 });
      expect(grants.filter((g) => g.subjectTokenJti === jtiOf(t))).toEqual([]);
      expect((await auditEvents(server, 'token_exchanged')).filter((e) => e.data?.subject_jti === jtiOf(t))).toEqual([]);
    });

    it('RFC 7009 §2.1 / CO-1: a revocation of T starting inside the exchange\'s transaction waits for its commit, then revokes what it wrote', async () => {
      const { server, agent } = h;
      const { token: t } = await userToken(server);
      // Right after the issuing transaction re-reads T, T is revoked from outside it: on PostgreSQL
      // the row read `for share` holds the revocation until the commit (interleaveOnce gives up
      // waiting after 500 ms and lets the exchange go on); SQLite runs it after the transaction.
      const race = interleaveOnce(() => server.ctx.storage.accessTokens.revokeWithDerived(jtiOf(t), server.ctx.now(), 'revoked_by_client'));
      const undo = hookTransactions(server.ctx.storage, (tx) => ({
        accessTokens: { ...tx.accessTokens, getForShare: (jti) => (jti === jtiOf(t) ? race.after(tx.accessTokens.getForShare(jti)) : tx.accessTokens.getForShare(jti)) },
      }));
      let res: JsonResponse;
      try {
        res = await exchange(server, { subject_token: t, subject_token_type: TT.accessToken, actor_token: await agent.assertion(), actor_token_type: TT.jwt, resource: MCP, scope: 'mcp:read' }, auth.orchestrator);
        expect(await race.concurrent).toMatchObject({ revoked: true });
      } finally {
        undo();
      }
      expect(res.status).toBe(200); // it committed first, then the revocation's walk found its grant
      expect((await server.ctx.storage.grants.get(await grantOf(res.body.access_token)))?.revokedAt).not.toBeNull();
      expect((await introspect(server, res.body.access_token)).body).toEqual({ active: false });
    });
  });
}
