/**
 * The bench measures what `npm start` runs, thread pool included (scripts/thread-pool.cjs). Its
 * entry points are ES modules started by tsx, which have used libuv's pool before their first
 * line, so when UV_THREADPOOL_SIZE is not set yet they run themselves again in a child process
 * with it set; the children they fork (servers, load generator, node-oidc-provider) inherit it.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const { sizeThreadPool } = createRequire(import.meta.url)('../../scripts/thread-pool.cjs') as { sizeThreadPool: (env?: NodeJS.ProcessEnv) => string };

/**
 * Returns the pool size in effect when this process already runs with it. Otherwise runs this
 * script again with it (same node flags, same arguments), waits, and exits with the child's status.
 */
export function withSizedThreadPool(): string {
  const preset = process.env['UV_THREADPOOL_SIZE'];
  if (preset !== undefined && preset !== '') return preset;
  const env = { ...process.env };
  sizeThreadPool(env);
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { env, stdio: 'inherit' });
  process.exit(child.status ?? 1);
}
