/**
 * The SQLite client-record cache (src/storage/repositories/sqlite-read-cache.ts, used by clients.ts): repeated lookups are
 * served from memory, and no lookup ever returns a record older than the committed row — after
 * writes through the repository, writes by another connection on the same file, and transactions
 * that roll back. PostgreSQL has no cache; the multi-instance case is checked there too.
 */
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { openStorage } from '../../src/storage/open.ts';
import type { Storage } from '../../src/storage/storage.ts';
import { isolatedDatabaseUrl } from '../helpers/isolated-database.ts';
import { client, useStorage } from './fixtures.ts';

/** Extra storages a test opens. Registered after useStorage, so closed before its database is removed. */
const opened: Storage[] = [];
const extraCleanups: (() => Promise<void>)[] = [];
async function closeExtras(): Promise<void> {
  for (const s of opened.splice(0)) await s.close();
  for (const c of extraCleanups.splice(0)) await c();
}

async function openExtra(url: string): Promise<Storage> {
  const storage = await openStorage(url);
  opened.push(storage);
  await storage.migrate();
  return storage;
}

describe('client record cache (SQLite)', () => {
  const h = useStorage('sqlite');
  afterEach(closeExtras);

  it('serves a repeated lookup from memory, as one deeply frozen record', async () => {
    await h.storage.clients.create(client());
    const first = await h.storage.clients.get('client-1');
    expect(first).toEqual(client());
    expect(await h.storage.clients.get('client-1')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first!.redirectUris)).toBe(true);
    expect(Object.isFrozen(first!.jwks!.keys[0])).toBe(true);
    expect(Object.isFrozen(first!.metadata.nested)).toBe(true);
    expect(() => (first!.redirectUris as string[]).push('https://evil.example/cb')).toThrow(TypeError);
    expect((await h.storage.clients.get('client-1'))!.redirectUris).toEqual(client().redirectUris);
  });

  it('an update or delete through the repository is seen by the next lookup', async () => {
    await h.storage.clients.create(client());
    const cached = await h.storage.clients.get('client-1');
    expect(await h.storage.clients.get('client-1')).toBe(cached);
    const renamed = client({ clientName: 'Renamed', redirectUris: ['https://new.example/cb'], updatedAt: 1_700_000_100 });
    expect(await h.storage.clients.update(renamed)).toBe(true);
    expect(await h.storage.clients.get('client-1')).toEqual(renamed);
    expect(await h.storage.clients.delete('client-1')).toBe(true);
    expect(await h.storage.clients.get('client-1')).toBeNull();
  });

  it('a lookup issued in the same turn as an update never outlives it', async () => {
    await h.storage.clients.create(client());
    await h.storage.clients.get('client-1');
    const renamed = client({ clientName: 'Renamed' });
    const [, during] = await Promise.all([h.storage.clients.update(renamed), h.storage.clients.get('client-1')]);
    expect([client().clientName, 'Renamed']).toContain(during!.clientName);
    expect(await h.storage.clients.get('client-1')).toEqual(renamed);
  });

  it('an unknown client_id is not remembered: created afterwards, it is found', async () => {
    expect(await h.storage.clients.get('late')).toBeNull();
    expect(await h.storage.clients.get('late')).toBeNull();
    await h.storage.clients.create(client({ clientId: 'late' }));
    expect(await h.storage.clients.get('late')).toEqual(client({ clientId: 'late' }));
  });

  it('a second Storage on the same file: its update and delete are seen by the first on its next lookup', async () => {
    await h.storage.clients.create(client());
    const cached = await h.storage.clients.get('client-1');
    expect(await h.storage.clients.get('client-1')).toBe(cached);
    const other = await openExtra(h.url);
    const renamed = client({ clientName: 'Changed elsewhere', updatedAt: 1_700_000_200 });
    expect(await other.clients.update(renamed)).toBe(true);
    expect(await h.storage.clients.get('client-1')).toEqual(renamed);
    expect(await other.clients.delete('client-1')).toBe(true);
    expect(await h.storage.clients.get('client-1')).toBeNull();
  });

  it('a write by another process (a plain connection, as the CLI) is seen on the next lookup', async () => {
    await h.storage.clients.create(client());
    await h.storage.clients.get('client-1');
    await h.raw("update clients set client_name = 'Set by the CLI' where client_id = 'client-1'");
    expect((await h.storage.clients.get('client-1'))?.clientName).toBe('Set by the CLI');
  });

  it('a lookup takes no write lock: it answers while another connection holds it', async () => {
    await h.storage.clients.create(client());
    const writer = new Database(h.url);
    try {
      writer.exec('begin immediate');
      expect(await h.storage.clients.get('client-1')).toEqual(client());
      expect(await h.storage.clients.get('client-1')).toEqual(client());
    } finally {
      writer.exec('rollback');
      writer.close();
    }
  });

  it('a transaction that updates then rolls back: lookups return the committed record', async () => {
    await h.storage.clients.create(client());
    await h.storage.clients.get('client-1');
    let outside: Promise<unknown> | undefined;
    await expect(
      h.storage.transaction(async (tx) => {
        expect(await tx.clients.update(client({ clientName: 'Uncommitted' }))).toBe(true);
        expect((await tx.clients.get('client-1'))?.clientName).toBe('Uncommitted');
        outside = h.storage.clients.get('client-1');
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect(await outside).toEqual(client());
    expect(await h.storage.clients.get('client-1')).toEqual(client());
    expect(await h.storage.clients.get('client-1')).toEqual(client());
  });

  it('a transaction that reads a client does not fill the cache; its committed update is seen', async () => {
    await h.storage.clients.create(client());
    const before = await h.storage.clients.get('client-1');
    await h.storage.transaction(async (tx) => {
      expect(await tx.clients.get('client-1')).toEqual(client());
      await tx.clients.update(client({ clientName: 'Committed' }));
    });
    const after = await h.storage.clients.get('client-1');
    expect(after?.clientName).toBe('Committed');
    expect(after).not.toBe(before);
  });

  it('holds at most 1000 records, dropping the one cached first', async () => {
    const ids = Array.from({ length: 1001 }, (_, i) => `c${i}`);
    await Promise.all(ids.map((clientId) => h.storage.clients.create(client({ clientId }))));
    const firstCached = await h.storage.clients.get('c0');
    const kept = new Map<string, unknown>();
    for (const id of ids.slice(1)) kept.set(id, await h.storage.clients.get(id));
    const reread = await h.storage.clients.get('c0');
    expect(reread).toEqual(firstCached);
    expect(reread).not.toBe(firstCached);
    expect(await h.storage.clients.get('c1000')).toBe(kept.get('c1000'));
  });

  it('is per Storage: another database with the same client_id keeps its own record', async () => {
    const elsewhere = isolatedDatabaseUrl('sqlite');
    extraCleanups.push(elsewhere.cleanup);
    const other = await openExtra(elsewhere.url);
    await h.storage.clients.create(client({ clientName: 'Here' }));
    await other.clients.create(client({ clientName: 'There' }));
    expect((await h.storage.clients.get('client-1'))?.clientName).toBe('Here');
    expect((await other.clients.get('client-1'))?.clientName).toBe('There');
    expect((await h.storage.clients.get('client-1'))?.clientName).toBe('Here');
  });
});

describe('client records on PostgreSQL (no cache: instances share the database)', () => {
  const h = useStorage('postgres');
  afterEach(closeExtras);

  it("another instance's update and delete are seen by the next lookup", async () => {
    await h.storage.clients.create(client());
    expect(await h.storage.clients.get('client-1')).toEqual(client());
    const other = await openExtra(h.url);
    const renamed = client({ clientName: 'Changed by another instance' });
    expect(await other.clients.update(renamed)).toBe(true);
    expect(await h.storage.clients.get('client-1')).toEqual(renamed);
    expect(await other.clients.delete('client-1')).toBe(true);
    expect(await h.storage.clients.get('client-1')).toBeNull();
  });
});
