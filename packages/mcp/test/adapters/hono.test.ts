/**
 * The Hono adapter: the request URL rebuilt on the resource's origin (a TLS proxy in front, a Host
 * header of the client's choosing) and the body read with a cap, like the Node adapter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import type { TokenServer } from '../../../server/test/token/fixtures.ts';
import { createMandateMcp, honoMcp } from '../../src/index.ts';
import { hrTools, LIST_TOOLS, machineToken, proofKey, signProof, startAs } from '../support/setup.ts';

// Served on plain http behind a TLS-terminating proxy: the runtime builds request URLs from
// http: and the Host header, the canonical resource is https.
const RESOURCE = 'https://hr.example/mcp';
const MAX_BODY = 64 * 1024;

let as: TokenServer;
let app: Hono;

beforeAll(async () => {
  as = await startAs();
  const mcp = createMandateMcp({ resource: RESOURCE, issuer: as.issuer, serverInfo: { name: 'hr-hono', version: '1' }, tools: hrTools(), dpop: { algs: ['ES256'] }, maxBodyBytes: MAX_BODY });
  app = honoMcp(new Hono(), mcp);
});
afterAll(async () => {
  await as?.close();
});

const ath = (t: string) => createHash('sha256').update(t).digest('base64url');
const jsonHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

describe('RFC 9449 §4.3 (9) htu: the URL checked is the resource\'s own, not the one the runtime built', () => {
  it('accepts a proof for https://hr.example/mcp arriving as http:// with an attacker-chosen Host', async () => {
    const key = await proofKey();
    const token = await machineToken(as, 'hr:read', RESOURCE, await signProof(key, { htu: as.tokenUrl }));
    const proof = await signProof(key, { htm: 'POST', htu: RESOURCE, claims: { ath: ath(token) } });
    // What @hono/node-server hands the app for `Host: attacker.example` on a plain-http socket.
    const res = await app.fetch(new Request('http://attacker.example/mcp', { method: 'POST', headers: { ...jsonHeaders, host: 'attacker.example', authorization: `DPoP ${token}`, dpop: proof }, body: JSON.stringify(LIST_TOOLS) }));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { result: { tools: unknown[] } }).result.tools.length).toBeGreaterThan(0);
  });

  it('refuses a proof made for the URL the Host header claims', async () => {
    const key = await proofKey();
    const token = await machineToken(as, 'hr:read', RESOURCE, await signProof(key, { htu: as.tokenUrl }));
    const proof = await signProof(key, { htm: 'POST', htu: 'http://attacker.example/mcp', claims: { ath: ath(token) } });
    const res = await app.fetch(new Request('http://attacker.example/mcp', { method: 'POST', headers: { ...jsonHeaders, authorization: `DPoP ${token}`, dpop: proof }, body: JSON.stringify(LIST_TOOLS) }));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/invalid_dpop_proof.*htu/);
  });
});

describe('the request body is read with a cap (no unbounded buffering)', () => {
  it('answers 413 to a streamed body past maxBodyBytes without reading the rest', async () => {
    const key = await proofKey();
    const token = await machineToken(as, 'hr:read', RESOURCE, await signProof(key, { htu: as.tokenUrl }));
    const proof = await signProof(key, { htm: 'POST', htu: RESOURCE, claims: { ath: ath(token) } });
    const chunk = new TextEncoder().encode('x'.repeat(8 * 1024));
    const total = 64; // 512 KiB offered, 8 times the cap, with no content-length
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled === total) return controller.close();
        pulled += 1;
        controller.enqueue(chunk);
      },
    });
    const res = await app.fetch(new Request('http://hr.example/mcp', { method: 'POST', headers: { ...jsonHeaders, authorization: `DPoP ${token}`, dpop: proof }, body, duplex: 'half' } as RequestInit));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_request');
    // The cap is 8 chunks: reading stopped right after it (one more chunk queued at most).
    expect(pulled).toBeLessThanOrEqual(MAX_BODY / chunk.byteLength + 2);
  });

  it('answers 413 at once to a declared content-length past the cap', async () => {
    const res = await app.fetch(new Request('http://hr.example/mcp', { method: 'POST', headers: { ...jsonHeaders, 'content-length': String(MAX_BODY + 1) }, body: 'x'.repeat(MAX_BODY + 1) }));
    expect(res.status).toBe(413);
  });
});
