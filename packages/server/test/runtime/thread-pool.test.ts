/**
 * libuv's thread pool as `npm start` sizes it (scripts/thread-pool.cjs): as many threads as cores,
 * at most libuv's default of 4, and an operator's UV_THREADPOOL_SIZE always wins.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';

const { threadPoolSize, sizeThreadPool } = createRequire(import.meta.url)('../../../../scripts/thread-pool.cjs') as {
  threadPoolSize: () => number;
  sizeThreadPool: (env?: NodeJS.ProcessEnv) => string;
};

describe('scripts/thread-pool.cjs', () => {
  it('sizes the pool to the cores, never above 4', () => {
    expect(threadPoolSize()).toBe(Math.min(4, availableParallelism()));
    expect(threadPoolSize()).toBeGreaterThanOrEqual(1);
  });

  it('sets UV_THREADPOOL_SIZE when it is unset or empty', () => {
    for (const env of [{} as NodeJS.ProcessEnv, { UV_THREADPOOL_SIZE: '' }]) {
      expect(sizeThreadPool(env)).toBe(String(threadPoolSize()));
      expect(env.UV_THREADPOOL_SIZE).toBe(String(threadPoolSize()));
    }
  });

  it("keeps the operator's value", () => {
    const env: NodeJS.ProcessEnv = { UV_THREADPOOL_SIZE: '16' };
    expect(sizeThreadPool(env)).toBe('16');
    expect(env.UV_THREADPOOL_SIZE).toBe('16');
  });

  it('the preload (npm start -w @mandate/server) sizes the pool before the entry runs, unless the operator set it', () => {
    const preload = fileURLToPath(new URL('../../../../scripts/thread-pool-preload.cjs', import.meta.url));
    const env = { ...process.env };
    delete env.UV_THREADPOOL_SIZE;
    const run = (e: NodeJS.ProcessEnv) => execFileSync(process.execPath, ['-r', preload, '-e', 'process.stdout.write(String(process.env.UV_THREADPOOL_SIZE))'], { env: e }).toString();
    expect(run(env)).toBe(String(threadPoolSize()));
    expect(run({ ...env, UV_THREADPOOL_SIZE: '3' })).toBe('3');
  });
});
