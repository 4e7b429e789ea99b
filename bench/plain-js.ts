/**
 * The Mandate server process without tsx: bench/server-child.ts bundled into one JavaScript file
 * (dependencies left external) and run by plain `node`. Its idle RSS shows how much of the
 * `npm start` figure is the TypeScript loader rather than the server.
 */
import { fileURLToPath } from 'node:url';
import { forkTs } from './lib/child.ts';
import type { MemoryFigures } from './lib/memory.ts';

const EXTERNAL = ['better-sqlite3', 'pg', 'kysely', 'jose', 'hono', '@hono/*', 'pino', 'zod', 'otplib', '@simplewebauthn/*'];

export async function plainJsIdleMemory(): Promise<MemoryFigures> {
  // esbuild comes with tsx; the bench only uses it when present.
  const { build } = await import('esbuild');
  const outfile = fileURLToPath(new URL('./.build/server-child.mjs', import.meta.url));
  await build({
    entryPoints: [fileURLToPath(new URL('./server-child.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    external: EXTERNAL,
    outfile,
    logLevel: 'warning',
  });
  const child = forkTs(new URL(`file://${outfile}`), { tsx: false, execArgv: ['--expose-gc'], stdout: 'ignore' });
  try {
    await child.call('start');
    await new Promise((r) => setTimeout(r, 500));
    const m = await child.call<MemoryFigures>('memory');
    await child.call('stop');
    return m;
  } finally {
    await child.stop();
  }
}
