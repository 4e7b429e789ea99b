/**
 * ID-2 / CO-1 lock order of a delegated refresh (RFC 8693 §2.2.1 refresh of an exchanged grant):
 * the agent row is re-read (`for share` on PostgreSQL) BEFORE the grant ancestry and the refresh
 * token's compare-and-set, as the exchange does (token-exchange/issue.ts). A suspension updates
 * the agent and then locks its grants; an issuance taking grants first and the agent after would
 * deadlock with it on PostgreSQL.
 */
import { describe, expect, it } from 'vitest';
import type { Storage } from '../../src/storage/storage.ts';
import type { Backend } from '../helpers/test-server.ts';
import { refresh } from '../token/fixtures.ts';
import { auth, exchange, EXCHANGE_CLIENTS, MCP, TOKEN_EXCHANGE, TT, useExchangeServer, userToken } from './fixtures.ts';

const CLIENTS = EXCHANGE_CLIENTS.map((c) => (c.client_id === 'orchestrator' ? { ...c, grant_types: [TOKEN_EXCHANGE, 'client_credentials', 'refresh_token'] } : c));

/** Records, per transaction, the order of the agent re-read, the ancestry lock and the rotation. */
function recordLockOrder(storage: Storage): string[][] {
  const log: string[][] = [];
  const transaction = storage.transaction.bind(storage);
  storage.transaction = (fn) =>
    transaction((tx) => {
      const calls: string[] = [];
      log.push(calls);
      const { getForShare } = tx.agents;
      tx.agents.getForShare = (id) => (calls.push('agent'), getForShare(id));
      const { lockAncestry } = tx.grants;
      tx.grants.lockAncestry = (id) => (calls.push('grants'), lockAncestry(id));
      const { rotate } = tx.refreshTokens;
      tx.refreshTokens.rotate = (hash, at) => (calls.push('token'), rotate(hash, at));
      return fn(tx);
    });
  return log;
}

describe.each<Backend>(['sqlite', 'postgres'])('delegated refresh lock order (%s)', (backend) => {
  const h = useExchangeServer(backend, { clients: CLIENTS });

  it('ID-2 / RFC 8693 §2.2.1: agent, then grant ancestry, then the refresh token — the exchange order', async () => {
    const { token } = await userToken(h.server);
    const first = await exchange(
      h.server,
      { subject_token: token, subject_token_type: TT.accessToken, actor_token: await h.agent.assertion(), actor_token_type: TT.jwt, resource: MCP, scope: 'mcp:read offline_access' },
      auth.orchestrator,
    );
    expect(first.status).toBe(200);
    const log = recordLockOrder(h.server.ctx.storage);
    const again = await refresh(h.server, String(first.body.refresh_token), {}, auth.orchestrator);
    expect(again.status).toBe(200);
    const issuing = log.find((calls) => calls.includes('token'));
    expect(issuing?.filter((c, i, all) => all.indexOf(c) === i)).toEqual(['agent', 'grants', 'token']);
  });
});
