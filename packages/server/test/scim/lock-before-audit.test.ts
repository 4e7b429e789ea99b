/**
 * A SCIM user write that deprovisions (PATCH active=false) or ends the user's grants (a userName,
 * i.e. email, change: endSessionsAndGrants → grants.revokeByUser) takes every grant and token lock
 * before its first audit append: the append takes the audit advisory lock on PostgreSQL, and an
 * issuer (refresh, exchange) takes that lock after its own grant and token locks, so the other
 * order deadlocks (40P01) and SCIM does not retry (503). The events keep their order and content.
 * The test records the calls of the real storage's transactions (the order, on both backends).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, TestServer } from '../helpers/test-server.ts';
import { hookTransactions } from '../helpers/transaction-hooks.ts';
import { IDP, clientToken, newUser, patchOps, scim, startScimServer } from './support.ts';

describe.each(['sqlite', 'postgres'] as Backend[])('SCIM locks grants before the audit lock (%s)', (backend) => {
  let s: TestServer;
  let token: string;
  beforeAll(async () => {
    s = await startScimServer({}, backend);
    token = await clientToken(s, IDP, 'mandate:scim');
  });
  afterAll(() => s.close());

  async function callsDuring(act: () => Promise<{ status: number }>): Promise<string[]> {
    const calls: string[] = [];
    const undo = hookTransactions(s.server.ctx.storage, (tx) => ({
      grants: {
        ...tx.grants,
        lockUserTrees: (id, at) => (calls.push('user trees'), tx.grants.lockUserTrees(id, at)),
        revokeByUser: (id, at, reason) => (calls.push('revoke by user'), tx.grants.revokeByUser(id, at, reason)),
      },
      audit: { ...tx.audit, append: (event, time) => (calls.push(`audit ${event.event}`), tx.audit.append(event, time)) },
    }));
    try {
      expect((await act()).status).toBe(200);
    } finally {
      undo();
    }
    return calls;
  }

  async function created(userName: string): Promise<string> {
    const res = await scim(s, token, 'POST', '/Users', newUser(userName));
    expect(res.status).toBe(201);
    return res.json.id as string;
  }

  it('PATCH active=false deprovisions (user trees, then the user\'s grants) before scim.user.updated and scim.user.deactivated', async () => {
    const id = await created(`audit-last-deactivate-${backend}@example.com`);
    const calls = await callsDuring(() => scim(s, token, 'PATCH', `/Users/${id}`, patchOps({ op: 'replace', path: 'active', value: false })));
    expect(calls).toEqual(['user trees', 'revoke by user', 'audit scim.user.updated', 'audit scim.user.deactivated']);
  });

  it('a userName change revokes the user\'s grants before scim.user.updated and scim.user.credentials_changed', async () => {
    const id = await created(`audit-last-rename-${backend}@example.com`);
    const calls = await callsDuring(() => scim(s, token, 'PATCH', `/Users/${id}`, patchOps({ op: 'replace', path: 'userName', value: `audit-last-renamed-${backend}@example.com` })));
    expect(calls).toEqual(['revoke by user', 'audit scim.user.updated', 'audit scim.user.credentials_changed']);
  });
});
