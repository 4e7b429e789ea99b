/**
 * Hand-written statements reach the SQLite driver without Kysely (src/storage/sqlite-direct.ts).
 * The shortcut must keep the transaction rules: a statement runs in the transaction whose storage
 * issued it — never in whichever transaction happens to hold the connection, never after its own
 * transaction ended — and a context copied with a transaction's handle runs in that transaction.
 */
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import type { Storage } from '../../src/storage/storage.ts';
import { accessToken, grant } from './fixtures.ts';
import { useObservedSqlite } from './observed-sqlite.ts';

describe('SQLite hand-written statements without Kysely (storage/sqlite-direct.ts)', () => {
  let storage: Storage;
  let observer: Database.Database;
  let committed: (jti: string) => boolean;
  useObservedSqlite((db) => ({ storage, observer, committed } = db));

  it("a transaction's storage kept past its commit refuses to write, even while another transaction is open", async () => {
    let leaked: Storage | undefined;
    await storage.transaction(async (tx) => {
      leaked = tx;
    });
    let attempt: Promise<void> | undefined;
    await storage.transaction(async (tx) => {
      await tx.accessTokens.create(accessToken({ jti: 'inside-second' }));
      attempt = leaked!.accessTokens.create(accessToken({ jti: 'leaked' }));
      await expect(attempt).rejects.toThrow(/already committed or rolled back/);
    });
    expect([committed('inside-second'), committed('leaked')]).toEqual([true, false]);
  });

  it('work done through a copied transaction context (a revocation inside a transaction) is rolled back with it', async () => {
    await storage.grants.create(grant({ id: 'grt_1' }));
    await storage.accessTokens.create(accessToken({ jti: 'live', grantId: 'grt_1' }));
    await expect(
      storage.transaction(async (tx) => {
        await tx.accessTokens.create(accessToken({ jti: 'new', grantId: 'grt_1' }));
        expect(await tx.accessTokens.revoke('live', 200)).toBe(true);
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect(committed('new')).toBe(false);
    expect((await storage.accessTokens.get('live'))?.revokedAt).toBeNull();
    expect(await storage.revocations.list({})).toEqual([]);
  });

  it('a revocation outside any transaction opens its own, next to concurrent hand-written writes', async () => {
    await storage.grants.create(grant({ id: 'grt_2' }));
    await storage.accessTokens.create(accessToken({ jti: 'to-revoke', grantId: 'grt_2', expiresAt: 10_000 }));
    const [revoked] = await Promise.all([
      storage.accessTokens.revoke('to-revoke', 100),
      ...Array.from({ length: 10 }, (_, i) => storage.accessTokens.create(accessToken({ jti: `side_${i}`, grantId: 'grt_2' }))),
    ]);
    expect(revoked).toBe(true);
    expect((await storage.accessTokens.get('to-revoke'))?.revokedAt).toBe(100);
    expect((await storage.revocations.list({})).map((e) => e.jti)).toEqual(['to-revoke']);
    expect(Array.from({ length: 10 }, (_, i) => committed(`side_${i}`)).every(Boolean)).toBe(true);
  });

  it('the replay upsert records a key once until it expires, then takes it over', async () => {
    expect(await storage.replay.remember('actor_jwt', 'agt_1:j1', 150, 100)).toBe(true);
    expect(await storage.replay.remember('actor_jwt', 'agt_1:j1', 160, 120)).toBe(false);
    expect(await storage.replay.remember('dpop', 'agt_1:j1', 160, 120)).toBe(true);
    expect(await storage.replay.remember('actor_jwt', 'agt_1:j1', 300, 150)).toBe(true);
    expect(observer.prepare("select expires_at from replay_cache where namespace = 'actor_jwt'").get()).toEqual({ expires_at: 300 });
  });
});
