/**
 * The SQLite driver's group commit (src/storage/sqlite-driver.ts): writes settle only once
 * committed, a failing statement fails alone, a transaction never absorbs outside statements,
 * and a write lock held by another connection is waited for without blocking the event loop.
 */
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { openStorage } from '../../src/storage/open.ts';
import type { Storage } from '../../src/storage/storage.ts';
import { accessToken, grant } from './fixtures.ts';
import { useObservedSqlite } from './observed-sqlite.ts';

describe('SQLite group commit (storage/sqlite-driver.ts)', () => {
  let url: string;
  let storage: Storage;
  let committed: (jti: string) => boolean;
  useObservedSqlite((db) => ({ url, storage, committed } = db));

  it('a write is visible to another connection as soon as its promise settles', async () => {
    const writes = Array.from({ length: 50 }, (_, i) => storage.accessTokens.create(accessToken({ jti: `at_${i}` })).then(() => committed(`at_${i}`)));
    expect(await Promise.all(writes)).toEqual(Array(50).fill(true));
  });

  it('a statement failing inside a batch fails alone; the others of the batch are committed', async () => {
    await storage.accessTokens.create(accessToken({ jti: 'dup' }));
    const results = await Promise.allSettled([
      storage.accessTokens.create(accessToken({ jti: 'a' })),
      storage.accessTokens.create(accessToken({ jti: 'dup' })),
      storage.accessTokens.create(accessToken({ jti: 'b' })),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect([committed('a'), committed('b')]).toEqual([true, true]);
  });

  it('statements issued while a transaction is open wait for it and are not rolled back with it', async () => {
    let outside: Promise<void> | undefined;
    await expect(
      storage.transaction(async (tx) => {
        await tx.grants.create(grant({ id: 'grt_in_tx' }));
        outside = storage.accessTokens.create(accessToken({ jti: 'outside' }));
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(committed('outside')).toBe(false);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await outside;
    expect(committed('outside')).toBe(true);
    expect(await storage.grants.get('grt_in_tx')).toBeNull();
  });

  it('a transaction shares the write batch: its rollback keeps the batch, its commit settles once durable', async () => {
    const before = storage.accessTokens.create(accessToken({ jti: 'same-turn' }));
    const failed = storage.transaction(async (tx) => {
      await tx.accessTokens.create(accessToken({ jti: 'rolled-back' }));
      throw new Error('undo');
    });
    await expect(failed).rejects.toThrow('undo');
    await before;
    expect([committed('same-turn'), committed('rolled-back')]).toEqual([true, false]);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        storage.transaction(async (tx) => {
          await tx.accessTokens.create(accessToken({ jti: `tx_${i}` }));
          await tx.audit.append({ event: 'token.issued', result: 'success' }, 100);
        }).then(() => committed(`tx_${i}`)),
      ),
    );
    expect(results).toEqual(Array(10).fill(true));
  });

  it('waits, without blocking the event loop, for a write lock held by another connection', async () => {
    const holder = new Database(url);
    holder.exec('begin immediate');
    const write = storage.accessTokens.create(accessToken({ jti: 'after-lock' }));
    const ticks = await new Promise<number>((resolve) => {
      let n = 0;
      const timer = setInterval(() => {
        if (++n === 5) {
          clearInterval(timer);
          resolve(n);
        }
      }, 10);
    });
    expect(ticks).toBe(5);
    expect(committed('after-lock')).toBe(false);
    holder.exec('commit');
    holder.close();
    await write;
    expect(committed('after-lock')).toBe(true);
  });

  it('a second Storage on the same file in one process writes alongside the first', async () => {
    const second = await openStorage(url);
    try {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? second : storage).accessTokens.create(accessToken({ jti: `two_${i}` }))),
      );
      expect(Array.from({ length: 20 }, (_, i) => committed(`two_${i}`)).every(Boolean)).toBe(true);
    } finally {
      await second.close();
    }
  });
});
