/**
 * Reads a V8 .cpuprofile and tells where the time goes: self time per function and per file,
 * as shares of all samples. Printed with the bench (`--profile`) so the owners of a slow path
 * see file and function names without opening DevTools.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  name: string;
  selfPct: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Self time grouped by layer; native frames count for the JavaScript that called them. */
  byCategory: ProfileLine[];
  byFunction: ProfileLine[];
  byFile: ProfileLine[];
  /** Inclusive share (self + callees) of selected functions of interest. */
  inclusive: ProfileLine[];
}

/** Layers of the request path, matched on the nearest JavaScript frame's URL. First match wins. */
const CATEGORIES: [string, RegExp][] = [
  ['SQLite: better-sqlite3 and the SQLite driver', /kysely\/dist\/esm\/dialect\/sqlite\/|better-sqlite3|storage\/sqlite[^/]*\.ts/],
  ['Kysely: query building, compiling, connection mutex', /kysely\//],
  // WebCrypto's ECDSA job runs on the main thread in Node 20 (crypto/util jobPromise → run).
  ['jose + WebCrypto (sign / verify)', /jose\/|node:internal\/crypto\/webcrypto|node:internal\/crypto\/(ec|keys|sig|util)/],
  ['Request body as a web ReadableStream (undici Request, webstreams)', /node:internal\/deps\/undici|node:internal\/webstreams|js_transferable|abort_controller|event_target/],
  ['@hono/node-server (request/response adapter)', /@hono\/node-server/],
  ['Hono (routing, context, middleware)', /node_modules\/hono\//],
  ['Node HTTP server, sockets, streams', /node:_http|node:net|node:internal\/streams|node:internal\/stream_base|node:events|node:internal\/http|node:_stream|node:internal\/timers/],
  ['pino logging', /pino|sonic-boom/],
  ['zod', /zod\//],
  ['Mandate: storage repositories', /packages\/server\/src\/storage\//],
  ['Mandate: audit', /packages\/server\/src\/audit\//],
  ['Mandate: other server code', /packages\//],
  ['Node crypto (hash, random)', /node:internal\/crypto/],
  ['bench harness (in-process driver)', /bench\//],
];

function category(url: string): string {
  for (const [name, re] of CATEGORIES) if (re.test(url)) return name;
  return url === '' ? 'V8 / native (no JS caller)' : 'other Node internals';
}

function shortUrl(url: string): string {
  if (url === '') return '(native/V8)';
  const clean = url.replace(/^file:\/\//, '');
  const nm = clean.lastIndexOf('node_modules/');
  if (nm >= 0) return clean.slice(nm + 'node_modules/'.length);
  const pk = clean.indexOf('/packages/');
  if (pk >= 0) return clean.slice(pk + 1);
  return clean;
}

export function summarizeProfile(path: string, top = 25, inclusiveOf: RegExp[] = []): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfCount = new Map<number, number>();
  for (const s of profile.samples) selfCount.set(s, (selfCount.get(s) ?? 0) + 1);
  const total = profile.samples.length || 1;
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  for (const [id, count] of selfCount) {
    const node = byId.get(id);
    if (!node) continue;
    const u = shortUrl(node.callFrame.url);
    const key = `${node.callFrame.functionName || '(anonymous)'}  ${u}${node.callFrame.url ? `:${node.callFrame.lineNumber + 1}` : ''}`;
    fn.set(key, (fn.get(key) ?? 0) + count);
    const fileKey = idle.has(id) ? '(idle)' : u;
    file.set(fileKey, (file.get(fileKey) ?? 0) + count);
  }
  // Inclusive time: samples whose stack contains a matching frame.
  const inclusive = new Map<string, number>();
  if (inclusiveOf.length > 0) {
    for (const [id, count] of selfCount) {
      const seen = new Set<string>();
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const node = byId.get(cur);
        if (!node) break;
        const label = `${node.callFrame.functionName || '(anonymous)'}  ${shortUrl(node.callFrame.url)}`;
        if (!seen.has(label) && inclusiveOf.some((r) => r.test(label))) {
          seen.add(label);
          inclusive.set(label, (inclusive.get(label) ?? 0) + count);
        }
      }
    }
  }
  const cat = new Map<string, number>();
  const special = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);
  for (const [id, count] of selfCount) {
    const node = byId.get(id);
    if (!node) continue;
    let label: string;
    if (special.has(node.callFrame.functionName)) label = node.callFrame.functionName;
    else {
      let cur: number | undefined = id;
      let url = '';
      while (cur !== undefined) {
        url = byId.get(cur)?.callFrame.url ?? '';
        if (url !== '') break;
        cur = parent.get(cur);
      }
      label = category(url);
    }
    cat.set(label, (cat.get(label) ?? 0) + count);
  }
  const pct = (n: number) => Math.round((n / total) * 1000) / 10;
  const sortLines = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, n]) => ({ name, selfPct: pct(n) }));
  const totalMs = Math.round(profile.timeDeltas.reduce((a, b) => a + b, 0) / 1000);
  return { totalMs, byCategory: sortLines(cat), byFunction: sortLines(fn), byFile: sortLines(file), inclusive: sortLines(inclusive) };
}
