/**
 * Issue 3 "Speed": token exchanges/s in one process — subject token verify (signature + liveness),
 * actor token verify (the agent's signed JWT, jti replay cache), access token sign, derived grant,
 * and the audit append, all in one SQLite transaction — through the real app (`app.fetch`, client
 * authentication and form parsing included, no sockets). Raw ES256 verify+sign pairs/s are
 * measured in the same run, so the ratio does not depend on the machine. Goal: ≥ 3,000/s.
 *
 * `measureTokenExchange()` returns the figures (bench/run.ts can call it); run directly
 * (`npx tsx bench/token-exchange.ts [--quick]`) it prints them and writes bench/results/token-exchange.json.
 */
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { fileURLToPath } from 'node:url';
import { printAndWriteResult, runClosedLoop, tokenRequest, withInProcessServer } from './lib/in-process.ts';
import { withSizedThreadPool } from './lib/thread-pool.ts';
import { EXCHANGE_SCOPES, EXCHANGE_SETTINGS, ORCHESTRATOR_AUTH, seedExchangeBodies } from './lib/exchange-fixture.ts';

export interface TokenExchangeFigures {
  exchangesPerSecond: number;
  /** Raw node:crypto ES256 verify + sign pairs per second, same process, same run. */
  rawEs256VerifySignPerSecond: number;
  /** exchangesPerSecond / rawEs256VerifySignPerSecond. */
  ratioToRawVerifySign: number;
  exchanges: number;
  failed: number;
  /**
   * Process CPU time (user + system, all threads: main thread and libuv's crypto pool) per
   * successful exchange over the measured window, in microseconds. Unlike the rate, it barely
   * depends on what else the machine is running, so it is the figure to compare changes by.
   */
  cpuMicrosPerExchange: number;
  /** The same for the raw ES256 verify + sign pair (main thread only), for the ratio in CPU terms. */
  rawEs256CpuMicrosPerPair: number;
  concurrency: number;
  durationMs: number;
  goalPerSecond: number;
  goalMet: boolean;
}

export async function measureTokenExchange(options: { durationMs?: number; concurrency?: number; profilePath?: string } = {}): Promise<TokenExchangeFigures> {
  const durationMs = options.durationMs ?? 5000;
  const concurrency = options.concurrency ?? 32;
  const rawBefore = rawVerifySignPerSecond(Math.min(durationMs, 1500));
  const settings = { scopesSupported: ['openid', ...EXCHANGE_SCOPES], ...EXCHANGE_SETTINGS };
  return withInProcessServer('mandate-bench-te-', settings, async (server, config) => {
    const { app } = server;
    const issuer = config.issuer;
    // Bodies (fresh single-use actor assertion each) are built ahead, outside the measured window.
    const bodies = await seedExchangeBodies(server, Math.ceil((durationMs / 1000) * 12_000) + 2000);
    let next = 0;
    const one = async (): Promise<boolean> => {
      const body = bodies[next++];
      if (body === undefined) return false;
      const res = await app.fetch(tokenRequest(issuer, ORCHESTRATOR_AUTH, body));
      await res.arrayBuffer();
      return res.status === 200;
    };
    // Warm-up (JIT, statement cache), then the measured window.
    await runClosedLoop(one, concurrency, 300);
    const profiler = options.profilePath !== undefined ? await startProfiler() : null;
    const cpuBefore = process.cpuUsage();
    const measured = await runClosedLoop(one, concurrency, durationMs);
    const cpu = process.cpuUsage(cpuBefore);
    if (profiler && options.profilePath !== undefined) writeFileSync(options.profilePath, JSON.stringify(await profiler.stop()));
    // Measured before and after the window and averaged: on a shared machine the load drifts.
    const rawAfter = rawVerifySignPerSecond(Math.min(durationMs, 1500));
    const raw = Math.round((rawBefore.perSecond + rawAfter.perSecond) / 2);
    const exchangesPerSecond = Math.round((measured.ok / measured.ms) * 1000);
    return {
      exchangesPerSecond,
      rawEs256VerifySignPerSecond: raw,
      ratioToRawVerifySign: Math.round((exchangesPerSecond / raw) * 1000) / 1000,
      exchanges: measured.ok,
      failed: measured.failed,
      cpuMicrosPerExchange: Math.round(((cpu.user + cpu.system) / Math.max(measured.ok, 1)) * 10) / 10,
      rawEs256CpuMicrosPerPair: Math.round(((rawBefore.cpuMicrosPerPair + rawAfter.cpuMicrosPerPair) / 2) * 10) / 10,
      concurrency,
      durationMs: Math.round(measured.ms),
      goalPerSecond: 3000,
      goalMet: exchangesPerSecond >= 3000,
    };
  });
}

/** A V8 CPU profile of the main thread over the measured window only (setup signs thousands of tokens). */
async function startProfiler(): Promise<{ stop: () => Promise<unknown> }> {
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params?: object) =>
    new Promise<T>((resolve, reject) => session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result as T))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  return {
    async stop() {
      const { profile } = await post<{ profile: unknown }>('Profiler.stop');
      session.disconnect();
      return profile;
    },
  };
}

/** node:crypto ES256: one verify and one sign per operation, over a token-sized input. */
function rawVerifySignPerSecond(ms: number): { perSecond: number; cpuMicrosPerPair: number } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = Buffer.from('x'.repeat(330));
  const opts = { key: privateKey, dsaEncoding: 'ieee-p1363' as const };
  const signature = sign('sha256', data, opts);
  const cpuBefore = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < ms) {
    for (let i = 0; i < 20; i++) {
      verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
      sign('sha256', data, opts);
    }
    n += 20;
  }
  const cpu = process.cpuUsage(cpuBefore);
  return { perSecond: Math.round((n / (performance.now() - t0)) * 1000), cpuMicrosPerPair: (cpu.user + cpu.system) / n };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  withSizedThreadPool(); // as npm start runs the server
  const quick = process.argv.includes('--quick');
  // --profile=<file>: a .cpuprofile of the measured window (open in Chrome DevTools or speedscope).
  const profilePath = process.argv.find((a) => a.startsWith('--profile='))?.slice('--profile='.length);
  const figures = await measureTokenExchange({ durationMs: quick ? 1500 : 5000, ...(profilePath ? { profilePath } : {}) });
  printAndWriteResult(new URL('./results/token-exchange.json', import.meta.url), quick, figures);
}
