/**
 * The verified caller (AuthContext) for the two delegation profiles of RFC 8693 §4.1 (DL-2):
 * impersonation (sub = user, act = agent chain) and delegation (sub = agent, on_behalf_of = user),
 * in tokens signed with the real authorization server's keys, as the policy hook receives them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { TokenServer } from '../../server/test/token/fixtures.ts';
import type { AuthContext } from '../src/index.ts';
import { callTool, rpc, startAs, startMcp, type RunningMcp } from './support/setup.ts';

let as: TokenServer;
let rs: RunningMcp;
const seen: AuthContext[] = [];

beforeAll(async () => {
  as = await startAs();
  rs = await startMcp(as, 'express', {
    clientTrust: (clientId) => (clientId === 'orchestrator' ? 'confidential' : 'standard'),
    hooks: { policy: { authorize: (r) => (seen.push(r.auth), { allow: true }) } },
  });
});
afterAll(async () => {
  await rs?.close();
  await as?.close();
});

async function callWith(claims: Record<string, unknown>): Promise<AuthContext> {
  const now = Math.floor(Date.now() / 1000);
  const token = await as.ctx.keys.sign({ iss: as.issuer, aud: rs.url, iat: now, exp: now + 300, jti: randomUUID(), scope: 'hr:read', ...claims }, { typ: 'at+jwt' });
  seen.length = 0;
  const res = await rpc(rs.url, callTool('list_employees'), { authorization: `Bearer ${token}` });
  expect(res.status).toBe(200);
  const auth = seen.at(-1);
  if (!auth) throw new Error('the policy engine was not consulted');
  return auth;
}

describe('RFC 8693 §4.1 impersonation profile: sub = user, act = the agents', () => {
  it('gives the user, the current agent and the whole chain, current actor first', async () => {
    const auth = await callWith({
      sub: 'usr_alice',
      client_id: 'orchestrator',
      agent_id: 'agt_sales',
      act: { sub: 'agt_sales', act: { sub: 'ai-host' } },
      acr: 'urn:mandate:acr:mfa',
      auth_time: Math.floor(Date.now() / 1000) - 10,
    });
    expect(auth.user).toBe('usr_alice');
    expect(auth.agent).toBe('agt_sales');
    expect(auth.actorChain.map((a) => a.sub)).toEqual(['agt_sales', 'ai-host']);
    expect(auth.clientTrustLevel).toBe('confidential');
    expect(auth.acr).toBe('urn:mandate:acr:mfa');
    expect(auth.source).toBe('jwt');
  });
});

describe('RFC 8693 §4.1 delegation profile: sub = agent, on_behalf_of = user', () => {
  it('gives the user from on_behalf_of and the agent as the current actor', async () => {
    const auth = await callWith({ sub: 'agt_sales', client_id: 'agent-client', agent_id: 'agt_sales', on_behalf_of: 'usr_alice', act: { sub: 'ai-host' } });
    expect(auth.user).toBe('usr_alice');
    expect(auth.agent).toBe('agt_sales');
    expect(auth.actorChain.map((a) => a.sub)).toEqual(['agt_sales', 'ai-host']);
  });
});

describe('RFC 9068 §2.2 a client_credentials token', () => {
  it('has no user; an agent client is still named by agent_id', async () => {
    const auth = await callWith({ sub: 'agent-client', client_id: 'agent-client', agent_id: 'agt_batch' });
    expect(auth.user).toBeUndefined();
    expect(auth.agent).toBe('agt_batch');
    expect(auth.actorChain).toEqual([]);
  });
});
