/**
 * A POST sent with an exact request target (`//evil.example/mcp`, `http://evil.example/mcp`):
 * fetch() would normalise it, node:http's `path` option puts it on the request line unchanged.
 * Shared by the Node and Express adapter tests, which must see what Node hands the listener.
 */
import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { createServer, request, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TokenServer } from '../../../server/test/token/fixtures.ts';
import { LIST_TOOLS, machineToken, proofKey, signProof } from '../support/setup.ts';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

export function postWithTarget(port: number, target: string, headers: Record<string, string>, body: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: target, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** `listener` on a loopback port; `close` ends it with its open connections. */
export async function serveOnLoopback(listener: RequestListener): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const ath = (t: string) => createHash('sha256').update(t).digest('base64url');
const jsonHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** A DPoP-bound tools/list for `resource`, its proof made for `htu`, sent with the exact request `target`. */
export async function postListTools(as: TokenServer, port: number, resource: string, target: string, htu: string): Promise<RawResponse> {
  const key = await proofKey();
  const token = await machineToken(as, 'hr:read', resource, await signProof(key, { htu: as.tokenUrl }));
  const proof = await signProof(key, { htm: 'POST', htu, claims: { ath: ath(token) } });
  return postWithTarget(port, target, { ...jsonHeaders, authorization: `DPoP ${token}`, dpop: proof }, JSON.stringify(LIST_TOOLS));
}

/**
 * RFC 9449 §4.3 (9): sent with request target `target` (one naming another host), a proof for
 * https://evil.example/mcp is refused and a proof for the resource accepted — the URL checked is
 * the resource's, whatever the target says.
 */
export function htuFollowsTheResource(target: string, resource: string, post: (target: string, htu: string) => Promise<RawResponse>): void {
  it(`refuses a proof for https://evil.example/mcp sent as ${target}`, async () => {
    const res = await post(target, 'https://evil.example/mcp');
    expect(res.status).toBe(401);
    expect(String(res.headers['www-authenticate'])).toMatch(/invalid_dpop_proof.*htu/);
  });

  it(`accepts a proof for the resource (${resource}) sent as ${target}`, async () => {
    const res = await post(target, resource);
    expect(res.status).toBe(200);
    expect(res.body.result.tools.length).toBeGreaterThan(0);
  });
}
