import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit, poolShareLeavingOneThread, QueueFullError, threadPoolSize } from '../../src/crypto/pool-limit.ts';

/** A task that runs until the test settles it, recording when it started. */
function controlled(started: number[], id: number) {
  let settle!: { resolve: (v: number) => void; reject: (e: Error) => void };
  const done = new Promise<number>((resolve, reject) => (settle = { resolve, reject }));
  return {
    task: () => {
      started.push(id);
      return done;
    },
    finish: () => settle.resolve(id),
    fail: () => settle.reject(new Error(`task ${id} failed`)),
  };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('thread pool share', () => {
  it('reads UV_THREADPOOL_SIZE when it is a positive integer, else libuv’s default of 4', () => {
    expect(threadPoolSize({ UV_THREADPOOL_SIZE: '2' })).toBe(2);
    expect(threadPoolSize({ UV_THREADPOOL_SIZE: '16' })).toBe(16);
    expect(threadPoolSize({})).toBe(4);
    for (const bad of ['', '0', '-2', '1.5', 'four']) expect(threadPoolSize({ UV_THREADPOOL_SIZE: bad })).toBe(4);
  });

  it('leaves one thread free when there are two or more, and never goes below one', () => {
    expect(poolShareLeavingOneThread(1)).toBe(1);
    expect(poolShareLeavingOneThread(2)).toBe(1);
    expect(poolShareLeavingOneThread(4)).toBe(3);
  });
});

describe('ConcurrencyLimit', () => {
  it('refuses a limit that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => new ConcurrencyLimit(bad)).toThrow(RangeError);
  });

  it('never runs more than the limit at once and starts waiters in FIFO order', async () => {
    const limit = new ConcurrencyLimit(2);
    const started: number[] = [];
    const tasks = [0, 1, 2, 3, 4].map((id) => controlled(started, id));
    let maxRunning = 0;
    const results = tasks.map((t) =>
      limit.run(() => {
        maxRunning = Math.max(maxRunning, limit.running);
        return t.task();
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    expect(limit.running).toBe(2);
    expect(limit.waiting).toBe(3);

    tasks[1]!.finish();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    tasks[0]!.finish();
    await tick();
    expect(started).toEqual([0, 1, 2, 3]);
    // A newcomer queues behind the waiter, even though a slot is about to free up.
    const late = controlled(started, 5);
    const lateResult = limit.run(late.task);
    tasks[2]!.finish();
    await tick();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    tasks[3]!.finish();
    tasks[4]!.finish();
    late.finish();
    expect(await Promise.all([...results, lateResult])).toEqual([0, 1, 2, 3, 4, 5]);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    expect(maxRunning).toBe(2);
    expect(limit.running).toBe(0);
    expect(limit.waiting).toBe(0);
  });

  it('releases the slot when a task rejects or throws synchronously', async () => {
    const limit = new ConcurrencyLimit(1);
    const started: number[] = [];
    const failing = controlled(started, 0);
    const first = limit.run(failing.task);
    const second = limit.run(() => {
      throw new Error('sync failure');
    });
    const third = controlled(started, 2);
    const thirdResult = limit.run(third.task);
    await tick();
    expect(started).toEqual([0]);
    failing.fail();
    await expect(first).rejects.toThrow('task 0 failed');
    await expect(second).rejects.toThrow('sync failure');
    await tick();
    expect(started).toEqual([0, 2]);
    third.finish();
    expect(await thirdResult).toBe(2);
    expect(limit.running).toBe(0);
  });

  it('keeps order and the limit across a long queue (the head compaction)', async () => {
    const limit = new ConcurrencyLimit(3);
    const order: number[] = [];
    let running = 0;
    let maxRunning = 0;
    const results = Array.from({ length: 5000 }, (_, id) =>
      limit.run(async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        order.push(id);
        await Promise.resolve();
        running--;
        return id;
      }),
    );
    expect((await Promise.all(results)).length).toBe(5000);
    expect(order).toEqual(Array.from({ length: 5000 }, (_, id) => id));
    expect(maxRunning).toBe(3);
    expect(limit.waiting).toBe(0);
  });

  it('queueLimit: refuses at once, without running it, a task that would wait behind that many', async () => {
    const limit = new ConcurrencyLimit(1);
    const started: number[] = [];
    const a = controlled(started, 1);
    const b = controlled(started, 2);
    const runningA = limit.run(a.task, { queueLimit: 1 }); // a free slot: runs whatever the queue limit
    const waitingB = limit.run(b.task, { queueLimit: 1 }); // the queue was empty: waits
    let ran = false;
    await expect(limit.run(async () => void (ran = true), { queueLimit: 1 })).rejects.toBeInstanceOf(QueueFullError);
    expect(ran).toBe(false);
    expect(limit.waiting).toBe(1);
    // Without a queue limit (hashing a new password) it still waits.
    const c = controlled(started, 3);
    const waitingC = limit.run(c.task);
    expect(limit.waiting).toBe(2);
    a.finish();
    await tick();
    b.finish();
    await tick();
    c.finish();
    expect(await Promise.all([runningA, waitingB, waitingC])).toEqual([1, 2, 3]);
    expect(started).toEqual([1, 2, 3]);
    expect(limit.running).toBe(0);
  });
});
