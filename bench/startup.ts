/**
 * `npm start` to ready: the time from spawning the command until the discovery document answers
 * over HTTP (RFC 8414 §3), with a fresh data directory (cold: secret key generated, migrations,
 * first signing key, development seed with scrypt password hashes) and again on the same
 * directory (warm). Also reads the idle resident memory of the server process from /proc.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './lib/free-port.ts';

export interface StartupRun {
  readyMs: number;
  /**
   * From spawning until the banner is printed: the demo MCP servers, which npm start loads after the
   * authorization server listens, are up too. Null when started without the demos (main.ts).
   */
  allUpMs: number | null;
  /** The server's own line "ready in N ms" (after the runtime and modules loaded). */
  selfReportedMs: number | null;
  /** RSS of the largest process under `npm start` (the server; the process itself when started directly), idle after ready. */
  serverRssMb: number | null;
}

export interface StartupFigures {
  cold: StartupRun;
  warm: StartupRun[];
  warmMedianMs: number;
  /** Warm, without npm: `node --import tsx packages/server/src/main.ts`, to show npm's share. */
  directWarm: StartupRun;
}

function children(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

function rssMbOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : 0;
  } catch {
    return 0;
  }
}

function largestDescendantRss(root: number): number | null {
  let best: number | null = null;
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    const rss = rssMbOf(pid);
    if (pid !== root && (best === null || rss > best)) best = rss;
    queue.push(...children(pid));
  }
  // Started without npm, the spawned process is the server itself.
  return best ?? (rssMbOf(root) || null);
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(500) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

const NPM_START = { command: 'npm', args: ['start', '--silent'] };
const DIRECT = { command: process.execPath, args: ['--import', 'tsx', 'packages/server/src/main.ts'] };

async function startOnce(root: string, dataDir: string, how = NPM_START): Promise<StartupRun> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, MANDATE_DATA_DIR: dataDir, MANDATE_PORT: String(port), MANDATE_ISSUER: `http://127.0.0.1:${port}` };
  delete env.NODE_ENV;
  delete env.MANDATE_DATABASE_URL;
  const t0 = performance.now();
  // Its own process group, so the whole tree (npm → sh → tsx → node) is stopped together.
  const child = spawn(how.command, how.args, { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let readyMs = -1;
  try {
    const url = `http://127.0.0.1:${port}/.well-known/openid-configuration`;
    while (performance.now() - t0 < 30_000) {
      if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output.slice(-2000)}`);
      if (await answers(url)) {
        readyMs = Math.round(performance.now() - t0);
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    if (readyMs < 0) throw new Error(`npm start not ready within 30 s:\n${output.slice(-2000)}`);
    let allUpMs: number | null = null;
    if (how === NPM_START) {
      // The banner (printed once the demo servers listen too) ends with their section.
      while (!output.includes('Demo MCP servers') && child.exitCode === null && performance.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 5));
      if (output.includes('Demo MCP servers')) allUpMs = Math.round(performance.now() - t0);
    }
    await new Promise((r) => setTimeout(r, 300));
    const serverRssMb = child.pid ? largestDescendantRss(child.pid) : null;
    const self = /ready in (\d+) ms/.exec(output);
    return { readyMs, allUpMs, selfReportedMs: self ? Number(self[1]) : null, serverRssMb };
  } finally {
    if (child.pid && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  }
}

export async function measureStartup(root: string, warmRuns = 3): Promise<StartupFigures> {
  process.stderr.write(`[bench] npm start: cold, then ${warmRuns} warm starts\n`);
  const dataDir = mkdtempSync(join(tmpdir(), 'mandate-bench-start-'));
  try {
    const cold = await startOnce(root, dataDir);
    const warm: StartupRun[] = [];
    for (let i = 0; i < warmRuns; i++) warm.push(await startOnce(root, dataDir));
    const sorted = warm.map((w) => w.readyMs).sort((a, b) => a - b);
    const directWarm = await startOnce(root, dataDir, DIRECT);
    return { cold, warm, warmMedianMs: sorted[Math.floor(sorted.length / 2)] ?? -1, directWarm };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
