/**
 * `npx tsx bench/cc-cpu.ts [rounds] [--op] [--floor] [--profile]`: the server CPU time per client_credentials
 * grant, over HTTP and in-process, for working on the hot path on a busy machine. Throughput
 * depends on what else runs; CPU time per grant much less, so this is the figure to compare before
 * and after a change. It still moves by ±10 % on a loaded machine (a starved server batches more
 * requests per commit and per event-loop turn), so compare two copies of the tree taken at the
 * same moment, alternating runs, over several pairs. `--op` adds node-oidc-provider under the
 * same load; `--floor` adds the stack's floor (floor-child.ts: Hono + one jose signature, no
 * storage); `--profile` prints a CPU profile summary of one round. Writes nothing to results/.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { forkTs } from './lib/child.ts';
import { withSizedThreadPool } from './lib/thread-pool.ts';
import { summarizeProfile } from './lib/profile-summary.ts';
import type { LoadResult } from './lib/http-load.ts';
import { API_SCOPE, CC_BODY, CC_CLIENT, FORM, RESOURCE, basicAuth } from './lib/fixtures.ts';

const args = process.argv.slice(2);
const ROUNDS = Number(args.find((a) => /^\d+$/.test(a)) ?? 5);
const WITH_OP = args.includes('--op');
const WITH_FLOOR = args.includes('--floor');
const PROFILE = args.includes('--profile');
const WINDOW_MS = 2500;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
/** Reported next to the median: the least round, usually the one least disturbed by other processes. */
const least = (xs: number[]) => Math.min(...xs);

async function cpuPerGrant(server: ReturnType<typeof forkTs>, loadgen: ReturnType<typeof forkTs>, port: number, path: string): Promise<{ cpuMs: number; perSecond: number }> {
  const before = await server.call<NodeJS.CpuUsage>('cpuUsage');
  const r = await loadgen.call<LoadResult>('run', {
    source: { kind: 'fixed', request: { method: 'POST', path, headers: { Authorization: basicAuth(CC_CLIENT), 'Content-Type': FORM }, body: CC_BODY } },
    options: { host: '127.0.0.1', port, connections: 32, durationMs: WINDOW_MS, warmupMs: 0 },
  });
  const after = await server.call<NodeJS.CpuUsage>('cpuUsage');
  if (r.failed > 0) throw new Error(`failures: ${JSON.stringify(r.failures)} ${r.failureExample}`);
  const cpuMs = (after.user - before.user + after.system - before.system) / 1000;
  return { cpuMs: cpuMs / Math.max(1, r.responses), perSecond: r.okPerSecond };
}

async function main(): Promise<void> {
  withSizedThreadPool(); // as npm start runs the server: the forked children inherit it
  const loadgen = forkTs(new URL('./loadgen-child.ts', import.meta.url));
  const server = forkTs(new URL('./server-child.ts', import.meta.url), { execArgv: ['--expose-gc'] });
  try {
    const { port } = await server.call<{ port: number }>('start');
    await cpuPerGrant(server, loadgen, port, '/token'); // warm-up: JIT, statement cache
    if (PROFILE) {
      const dir = fileURLToPath(new URL('./.profiles/', import.meta.url));
      mkdirSync(dir, { recursive: true });
      await server.call('profileStart');
      await cpuPerGrant(server, loadgen, port, '/token');
      const path = await server.call<string>('profileStop', { path: `${dir}cc-cpu.cpuprofile` });
      const p = summarizeProfile(path, 40, [/sign|verify|transaction|append|create|matches|readForm|Params|fetch|issue|authenticate/i]);
      for (const l of p.byCategory) process.stdout.write(`  ${String(l.selfPct).padStart(5)}%  ${l.name}\n`);
      process.stdout.write('top functions:\n');
      for (const l of p.byFunction) process.stdout.write(`  ${String(l.selfPct).padStart(5)}%  ${l.name}\n`);
      process.stdout.write('inclusive:\n');
      for (const l of p.inclusive) process.stdout.write(`  ${String(l.selfPct).padStart(5)}%  ${l.name}\n`);
    }
    const http: number[] = [];
    const rates: number[] = [];
    const inProc: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const h = await cpuPerGrant(server, loadgen, port, '/token');
      http.push(h.cpuMs);
      rates.push(h.perSecond);
      const p = await server.call<{ cpuMsPerRequest: number }>('inProcessCpu', { requests: 5000, concurrency: 32 });
      inProc.push(p.cpuMsPerRequest);
      process.stderr.write(`round ${i + 1}: HTTP ${h.cpuMs.toFixed(3)} ms/grant (${h.perSecond}/s), in-process ${p.cpuMsPerRequest.toFixed(3)} ms/grant\n`);
    }
    process.stdout.write(
      `Mandate CPU/grant over ${ROUNDS} rounds: HTTP median ${median(http).toFixed(3)} ms, least ${least(http).toFixed(3)} ms; in-process median ${median(inProc).toFixed(3)} ms, least ${least(inProc).toFixed(3)} ms; HTTP median ${median(rates)}/s\n`,
    );
  } finally {
    await server.call('stop').catch(() => undefined);
    await server.stop();
  }
  if (WITH_OP) await compareWith('oidc-provider', new URL('./oidc-provider-child.ts', import.meta.url), { resource: RESOURCE, scope: API_SCOPE }, loadgen);
  if (WITH_FLOOR) await compareWith('floor (Hono + jose sign, no storage)', new URL('./floor-child.ts', import.meta.url), {}, loadgen);
  await loadgen.stop();
}

/** Another server under the same load: CPU per grant and rate, as for Mandate's HTTP rounds. */
async function compareWith(name: string, url: URL, startArgs: object, loadgen: ReturnType<typeof forkTs>): Promise<void> {
  const other = forkTs(url, { execArgv: ['--expose-gc'], stdout: 'ignore' });
  try {
    const { port } = await other.call<{ port: number }>('start', startArgs);
    await cpuPerGrant(other, loadgen, port, '/token');
    const rounds: { cpuMs: number; perSecond: number }[] = [];
    for (let i = 0; i < ROUNDS; i++) rounds.push(await cpuPerGrant(other, loadgen, port, '/token'));
    const cpu = rounds.map((r) => r.cpuMs);
    const rate = rounds.map((r) => r.perSecond);
    process.stdout.write(`${name} CPU/grant over ${ROUNDS} rounds: median ${median(cpu).toFixed(3)} ms, least ${least(cpu).toFixed(3)} ms; median ${median(rate)}/s\n`);
  } finally {
    await other.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`cc-cpu: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
