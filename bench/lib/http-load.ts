/**
 * A small closed-loop HTTP/1.1 load generator, in the manner of autocannon: N keep-alive TCP
 * connections, each with exactly one request in flight, the next sent as soon as the previous
 * response is complete. Raw sockets and a minimal response parser keep the generator's own cost
 * per request far below the server's, so the figure measures the server.
 *
 * Request sources:
 * - `fixed`: the same request on every connection (client_credentials, introspection).
 * - `list`: `base` with each body used once, in order, until the list runs out (authorization codes).
 * - `cycle`: `base` with the bodies used round-robin (introspection of a pool of tokens).
 * - `chain`: one seed per connection; each next request is built from the previous response
 *   (refresh-token rotation: the new refresh_token goes into the next request).
 */
import { connect, type Socket } from 'node:net';

export interface HttpRequestSpec {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body: string;
}

export type RequestSource =
  | { kind: 'fixed'; request: HttpRequestSpec }
  | { kind: 'list'; base: HttpRequestSpec; bodies: string[] }
  | { kind: 'cycle'; base: HttpRequestSpec; bodies: string[] }
  | {
      kind: 'chain';
      seeds: HttpRequestSpec[];
      /** The next body: `template` with `{{value}}` replaced by `field` of the previous JSON response. */
      next: { template: HttpRequestSpec; field: string };
    };

export interface LoadOptions {
  host: string;
  port: number;
  connections: number;
  /** Measured window, after the warm-up. */
  durationMs: number;
  warmupMs: number;
  /** Stop once this many successful responses were counted in the measured window. */
  maxOk?: number;
  /** Success means this status (default 200). */
  expectStatus?: number;
  /** When set, a successful response must also contain this string (e.g. `"active":true`). */
  expectBodyIncludes?: string;
}

export interface LoadResult {
  /** Successful responses per second over the measured window. */
  okPerSecond: number;
  ok: number;
  failed: number;
  elapsedMs: number;
  connections: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** Status code → count of unexpected responses, and one example body for the report. */
  failures: Record<string, number>;
  failureExample: string | null;
  /** True when a `list` source ran out before the window closed. */
  exhausted: boolean;
  /** Successful responses in each whole second of the measured window. */
  perSecond: number[];
  /** Every response received, warm-up included (to divide the server's CPU time by). */
  responses: number;
  /** Filled in by the bench: the server process's CPU time (user + system, all threads) per response. */
  serverCpuMsPerResponse?: number;
}

interface Parsed {
  status: number;
  body: string;
  /** Bytes consumed from the buffer. */
  used: number;
}

/** Parses one complete response from the start of `buf`, or returns null when more bytes are needed. */
export function parseResponse(buf: Buffer): Parsed | null {
  const headerEnd = buf.indexOf('\r\n\r\n');
  if (headerEnd < 0) return null;
  const head = buf.toString('latin1', 0, headerEnd);
  const status = Number(head.slice(9, 12));
  const lower = head.toLowerCase();
  const start = headerEnd + 4;
  const cl = /\r\ncontent-length:\s*(\d+)/.exec(lower);
  if (cl) {
    const len = Number(cl[1]);
    if (buf.length < start + len) return null;
    return { status, body: buf.toString('utf8', start, start + len), used: start + len };
  }
  if (/\r\ntransfer-encoding:\s*chunked/.test(lower)) {
    let pos = start;
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', pos);
      if (lineEnd < 0) return null;
      const size = parseInt(buf.toString('latin1', pos, lineEnd), 16);
      const dataStart = lineEnd + 2;
      if (size === 0) {
        // Last chunk; no trailers expected from our servers, so the final CRLF follows.
        if (buf.length < dataStart + 2) return null;
        return { status, body: Buffer.concat(parts).toString('utf8'), used: dataStart + 2 };
      }
      if (buf.length < dataStart + size + 2) return null;
      parts.push(buf.subarray(dataStart, dataStart + size));
      pos = dataStart + size + 2;
    }
  }
  // 204/304 or a response without a body.
  return { status, body: '', used: start };
}

export function serializeRequest(req: HttpRequestSpec, host: string, port: number): Buffer {
  const body = Buffer.from(req.body, 'utf8');
  let head = `${req.method} ${req.path} HTTP/1.1\r\nHost: ${host}:${port}\r\nConnection: keep-alive\r\n`;
  for (const [k, v] of Object.entries(req.headers)) head += `${k}: ${v}\r\n`;
  if (req.method === 'POST') head += `Content-Length: ${body.length}\r\n`;
  head += '\r\n';
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length));
  return Math.round((sorted[i] as number) * 100) / 100;
}

export async function runLoad(source: RequestSource, options: LoadOptions): Promise<LoadResult> {
  const expectStatus = options.expectStatus ?? 200;
  const started = performance.now();
  const measureFrom = started + options.warmupMs;
  let measureStart = measureFrom;
  const deadline = measureFrom + options.durationMs;
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  let failureExample: string | null = null;
  let ok = 0;
  let failed = 0;
  let listIndex = 0;
  let exhausted = false;
  let stopped = false;
  let lastCompletion = started;
  let responses = 0;
  const buckets: number[] = [];
  const fixed = source.kind === 'fixed' ? serializeRequest(source.request, options.host, options.port) : null;
  const nextFrom = (prevBody: string | null, conn: number): Buffer | null => {
    if (source.kind === 'fixed') return fixed;
    if (source.kind === 'cycle') {
      const body = source.bodies[listIndex++ % source.bodies.length] as string;
      return serializeRequest({ ...source.base, body }, options.host, options.port);
    }
    if (source.kind === 'list') {
      const body = source.bodies[listIndex++];
      if (body === undefined) {
        exhausted = true;
        return null;
      }
      return serializeRequest({ ...source.base, body }, options.host, options.port);
    }
    if (prevBody === null) {
      const seed = source.seeds[conn];
      return seed ? serializeRequest(seed, options.host, options.port) : null;
    }
    let value: unknown;
    try {
      value = (JSON.parse(prevBody) as Record<string, unknown>)[source.next.field];
    } catch {
      return null;
    }
    if (typeof value !== 'string') return null;
    const t = source.next.template;
    return serializeRequest({ ...t, body: t.body.replace('{{value}}', encodeURIComponent(value)) }, options.host, options.port);
  };

  const runConnection = (conn: number) =>
    new Promise<void>((resolve) => {
      const socket: Socket = connect({ host: options.host, port: options.port, noDelay: true });
      let buf: Buffer = Buffer.alloc(0);
      let sentAt = 0;
      const finish = () => {
        socket.destroy();
        resolve();
      };
      const send = (prevBody: string | null) => {
        const now = performance.now();
        if (stopped || now >= deadline) return finish();
        const req = nextFrom(prevBody, conn);
        if (!req) return finish();
        sentAt = now;
        socket.write(req);
      };
      socket.on('connect', () => send(null));
      socket.on('error', (err) => {
        failed++;
        failures[`socket ${err.message}`] = (failures[`socket ${err.message}`] ?? 0) + 1;
        finish();
      });
      socket.on('close', () => resolve());
      socket.on('data', (chunk: Buffer) => {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        const res = parseResponse(buf);
        if (!res) return;
        buf = buf.subarray(res.used);
        responses++;
        const now = performance.now();
        const good = res.status === expectStatus && (!options.expectBodyIncludes || res.body.includes(options.expectBodyIncludes));
        if (now >= measureFrom) {
          if (good) {
            ok++;
            const second = Math.floor((now - measureFrom) / 1000);
            buckets[second] = (buckets[second] ?? 0) + 1;
            latencies.push(now - sentAt);
          } else {
            failed++;
            failures[String(res.status)] = (failures[String(res.status)] ?? 0) + 1;
            failureExample ??= res.body.slice(0, 300);
          }
          lastCompletion = now;
          if (options.maxOk !== undefined && ok >= options.maxOk) stopped = true;
        } else if (!good) {
          failures[`warmup ${res.status}`] = (failures[`warmup ${res.status}`] ?? 0) + 1;
          failureExample ??= res.body.slice(0, 300);
        }
        // A failed chain link cannot continue: there is no new refresh token to send.
        if (!good && source.kind === 'chain') return finish();
        send(res.body);
      });
    });

  await Promise.all(Array.from({ length: options.connections }, (_, i) => runConnection(i).catch(() => undefined)));
  // If the warm-up consumed everything, nothing was measured.
  measureStart = Math.min(measureStart, lastCompletion);
  const elapsedMs = Math.max(1, lastCompletion - measureStart);
  const sorted = Float64Array.from(latencies).sort();
  return {
    okPerSecond: Math.round((ok / elapsedMs) * 1000),
    ok,
    failed,
    elapsedMs: Math.round(elapsedMs),
    connections: options.connections,
    latencyMs: { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: percentile(sorted, 100) },
    failures,
    failureExample,
    exhausted,
    responses,
    // The last second is partial (the window closed inside it); dropped so the series compares.
    perSecond: Array.from({ length: Math.max(0, Math.floor(elapsedMs / 1000)) }, (_, i) => buckets[i] ?? 0),
  };
}
