/**
 * The SQLite agent cache (src/storage/repositories/agents.ts over sqlite-read-cache.ts): agents by
 * id and by client id, and "no agent" for an ordinary client, are served from memory — and ID-2
 * "suspending an agent or its owner stops it at once" still holds: no lookup outside a
 * transaction returns an agent older than the committed row after writes through the repository
 * (by itself or through the registry), writes by another connection on the same file, and
 * transactions that roll back; reads inside a transaction always read the row.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { suspendAgent } from '../../src/agents/registry.ts';
import type { RepoContext } from '../../src/storage/context.ts';
import { openStorage } from '../../src/storage/open.ts';
import { AGENT_CACHE_MAX_ENTRIES } from '../../src/storage/repositories/agents.ts';
import type { AgentRecord } from '../../src/storage/records.ts';
import type { Storage } from '../../src/storage/storage.ts';
import { agent, useStorage } from './fixtures.ts';

/** Extra storages a test opens. Registered after useStorage, so closed before its database is removed. */
const opened: Storage[] = [];
async function closeExtras(): Promise<void> {
  for (const s of opened.splice(0)) await s.close();
}

async function openExtra(url: string): Promise<Storage> {
  const storage = await openStorage(url);
  opened.push(storage);
  await storage.migrate();
  return storage;
}

/**
 * Sets an agent's status on the Storage's own connection without going through the repository:
 * nothing invalidates the cache and data_version does not move, so what a lookup then answers
 * shows whether it was served from memory or read the row.
 */
async function setStatusBehindTheRepository(storage: Storage, id: string, status: AgentRecord['status']): Promise<void> {
  const { ctx } = storage as unknown as { ctx: RepoContext };
  await ctx.db.updateTable('agents').set({ status }).where('id', '=', id).execute();
}

describe('agent cache (SQLite)', () => {
  const h = useStorage('sqlite');
  afterEach(closeExtras);

  it('serves repeated lookups by id and by client id from memory, as deeply frozen records', async () => {
    await h.storage.agents.create(agent());
    const byId = await h.storage.agents.get('agt_1');
    const byClient = await h.storage.agents.getByClientId('agent-client');
    expect(byId).toEqual(agent());
    expect(byClient).toEqual(agent());
    expect(await h.storage.agents.get('agt_1')).toBe(byId);
    expect(await h.storage.agents.getByClientId('agent-client')).toBe(byClient);
    expect(Object.isFrozen(byId)).toBe(true);
    expect(Object.isFrozen(byId!.allowedScopes)).toBe(true);
    expect(Object.isFrozen(byId!.attestation)).toBe(true);
    expect(Object.isFrozen(byId!.jwks!.keys[0])).toBe(true);
    expect(() => (byId!.allowedScopes as string[]).push('admin')).toThrow(TypeError);
    expect((await h.storage.agents.get('agt_1'))!.allowedScopes).toEqual(agent().allowedScopes);
  });

  it('caches "no agent" for a client: served from memory until an agent write', async () => {
    expect(await h.storage.agents.getByClientId('plain-client')).toBeNull();
    // A row written behind the repository's back on this connection is not seen: the null came from memory.
    const { ctx } = h.storage as unknown as { ctx: RepoContext };
    await ctx.db.insertInto('agents').values(rowOf(agent({ id: 'agt_hidden', clientId: 'plain-client' }))).execute();
    expect(await h.storage.agents.getByClientId('plain-client')).toBeNull();
    // Any write through the repository clears every entry, the negative ones included.
    await h.storage.agents.create(agent({ id: 'agt_other', clientId: null }));
    expect((await h.storage.agents.getByClientId('plain-client'))?.id).toBe('agt_hidden');
  });

  it('"no agent" for a client, then an agent created for that client: found at once', async () => {
    expect(await h.storage.agents.getByClientId('late-client')).toBeNull();
    expect(await h.storage.agents.getByClientId('late-client')).toBeNull();
    await h.storage.agents.create(agent({ clientId: 'late-client' }));
    expect(await h.storage.agents.getByClientId('late-client')).toEqual(agent({ clientId: 'late-client' }));
  });

  it('a suspension through the repository is seen by the next lookup by id and by client id', async () => {
    await h.storage.agents.create(agent());
    await h.storage.agents.get('agt_1');
    await h.storage.agents.getByClientId('agent-client');
    const suspended = agent({ status: 'suspended', suspendedBy: 'admin', updatedAt: 1_700_000_100 });
    expect(await h.storage.agents.update(suspended)).toBe(true);
    expect(await h.storage.agents.get('agt_1')).toEqual(suspended);
    expect(await h.storage.agents.getByClientId('agent-client')).toEqual(suspended);
  });

  it('a suspension through the registry (suspendAgent, as the admin and owner APIs) is seen at once', async () => {
    await h.storage.agents.create(agent());
    const cached = await h.storage.agents.getByClientId('agent-client');
    await suspendAgent({ storage: h.storage, now: () => 1_700_000_200 }, cached!, 'test', 'admin');
    expect((await h.storage.agents.getByClientId('agent-client'))?.status).toBe('suspended');
    expect((await h.storage.agents.get('agt_1'))?.status).toBe('suspended');
  });

  it('a lookup issued in the same turn as a suspension never outlives it', async () => {
    await h.storage.agents.create(agent());
    await h.storage.agents.get('agt_1');
    const [, during] = await Promise.all([h.storage.agents.update(agent({ status: 'suspended' })), h.storage.agents.get('agt_1')]);
    expect(['active', 'suspended']).toContain(during!.status);
    expect((await h.storage.agents.get('agt_1'))?.status).toBe('suspended');
    expect((await h.storage.agents.getByClientId('agent-client'))?.status).toBe('suspended');
  });

  it('a lookup issued just before a suspension, in the same turn, is not cached past it', async () => {
    await h.storage.agents.create(agent());
    // The lookup's row read may run before the update reaches the database, depending on how many
    // microtasks apart the two start: only the invalidation when the update settles keeps what it
    // read out of the cache. Every spacing up to a few microtasks is tried, by id and by client id.
    for (let spacing = 0; spacing <= 8; spacing++) {
      for (const lookUp of [() => h.storage.agents.get('agt_1'), () => h.storage.agents.getByClientId('agent-client')]) {
        expect(await h.storage.agents.update(agent())).toBe(true);
        expect((await lookUp())?.status).toBe('active');
        const during = lookUp();
        for (let i = 0; i < spacing; i++) await Promise.resolve();
        const suspension = h.storage.agents.update(agent({ status: 'suspended' }));
        const [seen] = await Promise.all([during, suspension]);
        expect(['active', 'suspended']).toContain(seen!.status);
        expect((await lookUp())?.status).toBe('suspended');
      }
    }
  });

  it('moving the client binding: the old client has no agent, the new one finds it', async () => {
    await h.storage.agents.create(agent());
    expect((await h.storage.agents.getByClientId('agent-client'))?.id).toBe('agt_1');
    expect(await h.storage.agents.getByClientId('new-client')).toBeNull();
    await h.storage.agents.update(agent({ clientId: 'new-client' }));
    expect(await h.storage.agents.getByClientId('agent-client')).toBeNull();
    expect((await h.storage.agents.getByClientId('new-client'))?.id).toBe('agt_1');
  });

  it('a second Storage on the same file suspends: the first sees it on its next lookup', async () => {
    await h.storage.agents.create(agent());
    const cached = await h.storage.agents.get('agt_1');
    expect(await h.storage.agents.get('agt_1')).toBe(cached);
    expect(await h.storage.agents.getByClientId('unbound')).toBeNull();
    const other = await openExtra(h.url);
    expect(await other.agents.update(agent({ status: 'suspended', updatedAt: 1_700_000_300 }))).toBe(true);
    expect((await h.storage.agents.get('agt_1'))?.status).toBe('suspended');
    expect((await h.storage.agents.getByClientId('agent-client'))?.status).toBe('suspended');
    await other.agents.create(agent({ id: 'agt_2', clientId: 'unbound' }));
    expect((await h.storage.agents.getByClientId('unbound'))?.id).toBe('agt_2');
  });

  it('a write by another process (a plain connection, as the CLI) is seen on the next lookup', async () => {
    await h.storage.agents.create(agent());
    await h.storage.agents.getByClientId('agent-client');
    await h.raw("update agents set status = 'suspended' where id = 'agt_1'");
    expect((await h.storage.agents.getByClientId('agent-client'))?.status).toBe('suspended');
  });

  it('a transaction that suspends then rolls back: lookups return the committed agent', async () => {
    await h.storage.agents.create(agent());
    await h.storage.agents.get('agt_1');
    let outside: Promise<unknown> | undefined;
    await expect(
      h.storage.transaction(async (tx) => {
        expect(await tx.agents.update(agent({ status: 'suspended' }))).toBe(true);
        expect((await tx.agents.get('agt_1'))?.status).toBe('suspended');
        expect((await tx.agents.getByClientId('agent-client'))?.status).toBe('suspended');
        outside = h.storage.agents.get('agt_1');
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect(await outside).toEqual(agent());
    expect(await h.storage.agents.get('agt_1')).toEqual(agent());
    expect(await h.storage.agents.getByClientId('agent-client')).toEqual(agent());
  });

  it('reads inside a transaction read the row (the issuing re-check of a suspension) and never fill the cache', async () => {
    await h.storage.agents.create(agent());
    const cachedById = await h.storage.agents.get('agt_1');
    const cachedByClient = await h.storage.agents.getByClientId('agent-client');
    await setStatusBehindTheRepository(h.storage, 'agt_1', 'suspended');
    expect(await h.storage.agents.get('agt_1')).toBe(cachedById);
    await h.storage.transaction(async (tx) => {
      expect((await tx.agents.get('agt_1'))?.status).toBe('suspended');
      expect((await tx.agents.getByClientId('agent-client'))?.status).toBe('suspended');
    });
    // The transaction's reads replaced nothing: outside, both keys still hold what was cached before.
    expect(await h.storage.agents.get('agt_1')).toBe(cachedById);
    expect(await h.storage.agents.getByClientId('agent-client')).toBe(cachedByClient);
  });

  it('a suspension committed by a transaction is seen after it, the read inside it cached nothing', async () => {
    await h.storage.agents.create(agent());
    const before = await h.storage.agents.get('agt_1');
    await h.storage.transaction(async (tx) => {
      expect(await tx.agents.get('agt_1')).toEqual(agent());
      await tx.agents.update(agent({ status: 'suspended' }));
    });
    const after = await h.storage.agents.get('agt_1');
    expect(after?.status).toBe('suspended');
    expect(after).not.toBe(before);
  });

  it(`holds at most ${AGENT_CACHE_MAX_ENTRIES} entries, dropping the one cached first`, async () => {
    const ids = Array.from({ length: AGENT_CACHE_MAX_ENTRIES + 1 }, (_, i) => `agt_${i}`);
    await Promise.all(ids.map((id) => h.storage.agents.create(agent({ id, clientId: null }))));
    const firstCached = await h.storage.agents.get('agt_0');
    const kept = new Map<string, unknown>();
    for (const id of ids.slice(1)) kept.set(id, await h.storage.agents.get(id));
    const reread = await h.storage.agents.get('agt_0');
    expect(reread).toEqual(firstCached);
    expect(reread).not.toBe(firstCached);
    const last = ids[ids.length - 1]!;
    expect(await h.storage.agents.get(last)).toBe(kept.get(last));
  });
});

describe('agents on PostgreSQL (no cache: instances share the database)', () => {
  const h = useStorage('postgres');
  afterEach(closeExtras);

  it("another instance's suspension and a new binding are seen by the next lookup", async () => {
    await h.storage.agents.create(agent());
    expect(await h.storage.agents.getByClientId('agent-client')).toEqual(agent());
    expect(await h.storage.agents.getByClientId('unbound')).toBeNull();
    const other = await openExtra(h.url);
    expect(await other.agents.update(agent({ status: 'suspended' }))).toBe(true);
    expect((await h.storage.agents.get('agt_1'))?.status).toBe('suspended');
    expect((await h.storage.agents.getByClientId('agent-client'))?.status).toBe('suspended');
    await other.agents.create(agent({ id: 'agt_2', clientId: 'unbound' }));
    expect((await h.storage.agents.getByClientId('unbound'))?.id).toBe('agt_2');
  });
});

/** The agents row of a record, for the insert behind the repository's back. */
function rowOf(r: AgentRecord) {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    owner_user_id: r.ownerUserId,
    allowed_scopes: JSON.stringify(r.allowedScopes),
    allowed_audiences: JSON.stringify(r.allowedAudiences),
    allowed_tools: JSON.stringify(r.allowedTools),
    max_delegation_depth: r.maxDelegationDepth,
    status: r.status,
    attestation: r.attestation === null ? null : JSON.stringify(r.attestation),
    jwks: r.jwks === null ? null : JSON.stringify(r.jwks),
    client_id: r.clientId,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}
