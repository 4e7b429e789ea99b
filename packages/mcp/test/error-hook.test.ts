/**
 * hooks.onError: a 500 tells the caller nothing internal, so the operator's hook is the only place
 * the fault shows; a hook that throws does not change the answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenServer } from '../../server/test/token/fixtures.ts';
import { LIST_TOOLS, machineToken, rpc, startAs, startMcp } from './support/setup.ts';

let as: TokenServer;
beforeAll(async () => {
  as = await startAs();
});
afterAll(async () => {
  await as?.close();
});

describe('hooks.onError', () => {
  it('is told of a 500 with the error itself; the caller gets server_error and no detail', async () => {
    const reported: { err: unknown; info: { status: number; path: string } }[] = [];
    const rs = await startMcp(as, 'node', {
      configure: () => {
        throw new Error('database password rejected for mcp_app');
      },
      hooks: { onError: (err, info) => void reported.push({ err, info }) },
    });
    try {
      const res = await rpc(rs.url, LIST_TOOLS, { authorization: `Bearer ${await machineToken(as, 'hr:read', rs.url)}` });
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ error: 'server_error', error_description: 'the request could not be processed' });
      expect(reported).toEqual([{ err: expect.objectContaining({ message: 'database password rejected for mcp_app' }), info: { status: 500, path: '/mcp' } }]);
    } finally {
      await rs.close();
    }
  });

  it('an async hook that rejects is ignored too (no unhandled rejection, which would end the process)', async () => {
    let called = 0;
    const rs = await startMcp(as, 'node', {
      configure: () => {
        throw new Error('boom');
      },
      hooks: {
        onError: async () => {
          called += 1;
          throw new Error('the alerting webhook is down');
        },
      },
    });
    try {
      const res = await rpc(rs.url, LIST_TOOLS, { authorization: `Bearer ${await machineToken(as, 'hr:read', rs.url)}` });
      expect(res.status).toBe(500);
      expect(called).toBe(1);
      // vitest fails the run on an unhandled rejection: give one the chance to surface.
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await rs.close();
    }
  });

  it('a hook that throws is ignored: the answer stays the same', async () => {
    const rs = await startMcp(as, 'node', {
      configure: () => {
        throw new Error('boom');
      },
      hooks: {
        onError: () => {
          throw new Error('the logger is down');
        },
      },
    });
    try {
      const res = await rpc(rs.url, LIST_TOOLS, { authorization: `Bearer ${await machineToken(as, 'hr:read', rs.url)}` });
      expect(res.status).toBe(500);
      expect(res.body.error).toBe('server_error');
    } finally {
      await rs.close();
    }
  });
});
