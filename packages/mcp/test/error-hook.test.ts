/**
 * hooks.onError: a 500 tells the caller nothing internal, so the operator's hook is the only place
 * the fault shows; a hook that throws does not change the answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenServer } from '../../server/test/token/fixtures.ts';
import { createHash } from 'node:crypto';
import { callTool, LIST_TOOLS, machineToken, proofKey, rpc, signProof, startAs, startMcp } from './support/setup.ts';
import type { SecurityAuditSink } from '../src/audit/events.ts';

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

  async function dpopServer(replayCache: { maxEntries: number; maxPerKey: number }, reported: { err: unknown; info: { status: number; path: string } }[]) {
    const rs = await startMcp(as, 'node', { dpop: { algs: ['ES256'], replayCache }, hooks: { onError: (err, info) => void reported.push({ err, info }) } });
    const key = await proofKey();
    const token = await machineToken(as, 'hr:read', rs.url, await signProof(key, { htu: as.tokenUrl }));
    const ath = createHash('sha256').update(token).digest('base64url');
    const call = async () => rpc(rs.url, LIST_TOOLS, { authorization: `DPoP ${token}`, dpop: await signProof(key, { htm: 'POST', htu: rs.url, claims: { ath } }) });
    return { rs, call };
  }

  it('is told, once a minute, of DPoP proofs refused because the whole replay cache is full (our capacity, not a security event)', async () => {
    const reported: { err: unknown; info: { status: number; path: string } }[] = [];
    const { rs, call } = await dpopServer({ maxEntries: 1, maxPerKey: 10 }, reported);
    try {
      expect((await call()).status).toBe(200);
      expect(reported).toEqual([]);
      expect((await call()).status).toBe(401);
      expect(reported).toEqual([{ err: expect.objectContaining({ message: 'too many unexpired DPoP proofs; retry later with a new proof', scope: 'cache' }), info: { status: 401, path: '/mcp' } }]);
      expect((await call()).status).toBe(401);
      expect(reported).toHaveLength(1);
    } finally {
      await rs.close();
    }
  });

  it('is not told of one key over its own quota of live proofs (that caller\'s rate)', async () => {
    const reported: { err: unknown; info: { status: number; path: string } }[] = [];
    const { rs, call } = await dpopServer({ maxEntries: 100, maxPerKey: 1 }, reported);
    try {
      expect((await call()).status).toBe(200);
      expect((await call()).status).toBe(401);
      expect(reported).toEqual([]);
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

describe('an async audit sink that rejects', () => {
  it('changes no answer and causes no unhandled rejection (tool call, tools/list, refused token)', async () => {
    let calls = 0;
    const sink: SecurityAuditSink = {
      record: async () => {
        calls += 1;
        throw new Error('spool disk full');
      },
      recordSecurity: async () => {
        calls += 1;
        throw new Error('spool disk full');
      },
    };
    const rs = await startMcp(as, 'node', { hooks: { audit: sink } });
    try {
      const bearer = { authorization: `Bearer ${await machineToken(as, 'hr:read', rs.url)}` };
      expect((await rpc(rs.url, LIST_TOOLS, bearer)).status).toBe(200);
      const called = await rpc(rs.url, callTool('list_employees'), bearer);
      expect(called.status).toBe(200);
      expect(called.body.result.isError).toBeFalsy();
      expect((await rpc(rs.url, LIST_TOOLS, { authorization: 'Bearer eyJhbGciOiJFUzI1NiJ9.e30.c2ln' })).status).toBe(401);
      expect(calls).toBe(3);
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await rs.close();
    }
  });
});
