/**
 * M2: the caller is the same whether the token is verified as a JWT or introspected (RFC 7662).
 * Tokens are issued by the real AS (its own signing and token records), the RS runs in both modes;
 * the AS's introspection answer must carry agent_id / agent_attestation like the JWT, and the SDK
 * must never read `sub` as a user when it is the agent the token names.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenServer } from '../../server/test/token/fixtures.ts';
import { issueAccessToken } from '../../server/src/tokens/access-token.ts';
import { buildAuthContext } from '../src/token/auth-context.ts';
import { MACHINE, RS_CLIENT, callTool, rpc, startAs, startMcp, userToken, type RunningMcp } from './support/setup.ts';

let as: TokenServer;
const seen: { mode: string; user: unknown; agent: unknown; clientId: unknown; attestation: unknown }[] = [];
const servers: Record<'jwt' | 'introspection', RunningMcp | undefined> = { jwt: undefined, introspection: undefined };
const attestation = { model: 'claude-sonnet', runtime: 'node-22' };

beforeAll(async () => {
  as = await startAs();
  for (const mode of ['jwt', 'introspection'] as const) {
    servers[mode] = await startMcp(as, 'node', {
      tokenMode: mode,
      introspection: { clientId: RS_CLIENT.id, clientSecret: RS_CLIENT.secret },
      hooks: {
        policy: {
          authorize: (r) => {
            if (r.phase === 'call') seen.push({ mode, user: r.auth.user, agent: r.auth.agent, clientId: r.auth.clientId, attestation: r.auth.claims.agent_attestation });
            return { allow: true };
          },
        },
      },
    });
  }
});
afterAll(async () => {
  await servers.jwt?.close();
  await servers.introspection?.close();
  await as?.close();
});

/** A token the AS signs and records like its grants do (agents/identity.ts agentClaims in extraClaims). */
async function agentToken(subject: string, agentId: string, audience: string): Promise<string> {
  const issued = await issueAccessToken(as.ctx, { subject, clientId: MACHINE.id, userId: null, grantId: null, scope: 'hr:read', audience: [audience], extraClaims: { agent_id: agentId, agent_attestation: attestation } });
  return issued.token;
}

/** The caller each mode saw for a token minted per mode (the audience is each server's URL). */
async function callerInBothModes(mint: (audience: string) => Promise<string>) {
  seen.length = 0;
  for (const mode of ['jwt', 'introspection'] as const) {
    const rs = servers[mode] as RunningMcp;
    const res = await rpc(rs.url, callTool('list_employees'), { authorization: `Bearer ${await mint(rs.url)}` });
    expect(res.status).toBe(200);
  }
  expect(seen.map((s) => s.mode)).toEqual(['jwt', 'introspection']);
  const [jwt, introspected] = seen.map((s) => ({ user: s.user, agent: s.agent, clientId: s.clientId, attestation: s.attestation }));
  expect(introspected).toEqual(jwt);
  return jwt;
}

describe('M2 the same caller in JWT and introspection modes', () => {
  it('a user token: user = sub, no agent', async () => {
    const caller = await callerInBothModes((aud) => userToken(as, 'hr:read', aud));
    expect(caller).toEqual({ user: as.alice.id, agent: undefined, clientId: 'web-app', attestation: undefined });
  });

  it('a workload agent token (sub = agent_id): the agent, never a user', async () => {
    const caller = await callerInBothModes((aud) => agentToken('agt_7', 'agt_7', aud));
    expect(caller).toEqual({ user: undefined, agent: 'agt_7', clientId: MACHINE.id, attestation });
  });

  it('a client_credentials agent token (sub = client_id, agent_id names the agent): the agent, not a bare client', async () => {
    const caller = await callerInBothModes((aud) => agentToken(MACHINE.id, 'agt_cc', aud));
    expect(caller).toEqual({ user: undefined, agent: 'agt_cc', clientId: MACHINE.id, attestation });
  });
});

describe('M2 sub is never a user when it is the agent the token names', () => {
  const identity = { userClaims: ['on_behalf_of'], agentClaim: 'agent_id', clientTrust: () => 'standard' };
  const base = { iss: 'https://as.example', client_id: 'ci-runner', aud: 'https://mcp.example/mcp', iat: 1, exp: 2, scope: 'hr:read' };

  it('sub equal to the acting agent of the actor chain is not a user', () => {
    const auth = buildAuthContext('t', 'Bearer', 'introspection', { ...base, sub: 'agt_9', act: { sub: 'agt_9', agent_id: 'agt_9' } }, identity);
    expect(auth.user).toBeUndefined();
    expect(auth.agent).toBe('agt_9');
  });

  it('impersonation (sub = user, act = agent) keeps the user', () => {
    const auth = buildAuthContext('t', 'Bearer', 'introspection', { ...base, sub: 'usr_1', act: { sub: 'agt_9' } }, identity);
    expect(auth.user).toBe('usr_1');
    expect(auth.agent).toBe('agt_9');
  });
});
