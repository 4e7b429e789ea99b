/**
 * ID-2 "suspending an agent stops it at once", PostgreSQL (READ COMMITTED): the issuing
 * transaction's re-read of the agent (agents.getForShare, agents/identity.ts
 * checkAgentStillActive) makes a concurrent suspension wait for its commit, so the revocation
 * that follows the suspension sees the grant it wrote. SQLite serialises the two by BEGIN IMMEDIATE.
 */
import { describe, expect, it } from 'vitest';
import { agent, grant, useStorage } from './fixtures.ts';
import { waitForLockWaiters } from './lock-wait.ts';

describe('agent suspension racing an issuing transaction (postgres)', () => {
  const h = useStorage('postgres');

  it("the suspension's update waits for the issuer's commit, and its revocation then covers the new grant", async () => {
    const a = agent();
    await h.storage.agents.create(a);
    let suspended = false;
    let suspension: Promise<string[]> | undefined;
    await h.storage.transaction(async (tx) => {
      expect((await tx.agents.getForShare(a.id))?.status).toBe('active');
      // registry.ts suspendAgent: mark the agent, then revoke its grants (two statements).
      suspension = (async () => {
        await h.storage.agents.update({ ...a, status: 'suspended', updatedAt: 1_700_000_100 });
        suspended = true;
        return h.storage.grants.revokeByAgent(a.id, 1_700_000_100, 'agent_suspended');
      })();
      await waitForLockWaiters(h); // the suspension's update waits for the share lock
      expect(suspended).toBe(false); // held by the share lock
      await tx.grants.create(grant({ id: 'grt_agent', agentId: a.id, clientId: 'agent-client' }));
    });
    expect(await suspension).toContain('grt_agent');
    expect((await h.storage.grants.get('grt_agent'))?.revokedAt).toBe(1_700_000_100);
  });
});
