/**
 * The ids of what every exchange inserts (crypto/sortable-ids.ts): led by the time so
 * consecutive inserts append to their primary-key index instead of landing on a random page, and
 * still carrying 128 random bits so an id is no easier to guess than a plain random one.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sortableId, sortableJti } from '../../src/crypto/sortable-ids.ts';
import { accessTokenClaims } from '../token/fixtures.ts';
import { auth, exchange, MCP, TT, useExchangeServer, userToken } from './fixtures.ts';

describe('sortable record ids of the token exchange', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('are the prefix, 9 base36 digits of milliseconds and 128 random bits', () => {
    expect(sortableId('grt')).toMatch(/^grt_[0-9a-z]{9}[A-Za-z0-9_-]{22}$/);
    expect(sortableJti()).toMatch(/^[0-9a-z]{9}[A-Za-z0-9_-]{22}$/);
    const random = sortableJti().slice(9);
    expect(Buffer.from(random, 'base64url')).toHaveLength(16);
  });

  it('sort in creation order across milliseconds, years and digit-count changes of the clock', () => {
    const times = [0, 1, 35, 36, 1_700_000_000_000, 1_700_000_000_001, 4_102_444_800_000];
    const ids = times.map((t) => {
      vi.useFakeTimers({ now: t });
      return { id: sortableId('grt'), jti: sortableJti() };
    });
    expect(ids.map((i) => i.id)).toEqual([...ids.map((i) => i.id)].sort());
    expect(ids.map((i) => i.jti)).toEqual([...ids.map((i) => i.jti)].sort());
  });

  it('never repeat within one millisecond', () => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) seen.add(sortableJti());
    expect(seen.size).toBe(5000);
  });
});

describe('an exchange records its grant and access token under sortable ids', () => {
  const env = useExchangeServer();

  it('the jti and the derived grant id lead with the time, and a later exchange sorts after an earlier one', async () => {
    const { server, agent } = env;
    const issued: { jti: string; grantId: string }[] = [];
    for (let i = 0; i < 2; i++) {
      const { token } = await userToken(server);
      const res = await exchange(server, { subject_token: token, subject_token_type: TT.accessToken, actor_token: await agent.assertion(), actor_token_type: TT.jwt, resource: MCP, scope: 'mcp:read' }, auth.orchestrator);
      expect(res.status).toBe(200);
      const { jti } = accessTokenClaims(res.body.access_token) as { jti: string };
      const record = await server.ctx.storage.accessTokens.get(jti);
      expect(record?.grantId).toMatch(/^grt_[0-9a-z]{9}[A-Za-z0-9_-]{22}$/);
      expect(jti).toMatch(/^[0-9a-z]{9}[A-Za-z0-9_-]{22}$/);
      issued.push({ jti, grantId: record!.grantId! });
      await new Promise((resolve) => setTimeout(resolve, 2)); // the next one in a later millisecond
    }
    expect(issued[0]!.jti < issued[1]!.jti).toBe(true);
    expect(issued[0]!.grantId < issued[1]!.grantId).toBe(true);
  });
});
