/**
 * DPoP over real HTTP on 127.0.0.1: the header rules of RFC 9449 §4.3 (1), the error responses,
 * and the server-nonce challenge of §8.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DPOP_NONCE_SLOT_SECONDS } from '../../src/dpop/index.ts';
import { accessTokenHash } from '../../src/dpop/checks/claims.ts';
import { postForm, startHarness, type Harness } from './harness.ts';
import { proofKey, signProof, type ProofKey } from './proofs.ts';

/** A POST with raw header lines, so one header name can be sent twice (fetch would merge them). */
function rawPost(url: string, headerLines: [string, string][], body: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown> }));
    });
    req.on('error', reject);
    for (const name of new Set(headerLines.map(([n]) => n))) {
      req.setHeader(name, headerLines.filter(([n]) => n === name).map(([, v]) => v));
    }
    req.end(body);
  });
}

describe('RFC 9449 §4.3 DPoP at an endpoint, over HTTP', () => {
  let h: Harness;
  let key: ProofKey;
  const form = { grant_type: 'client_credentials', client_id: 'public-app' };

  beforeAll(async () => {
    h = await startHarness();
    key = await proofKey();
    await h.createClient({ clientId: 'public-app' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('accepts one valid proof, reports its thumbprint and sends a DPoP-Nonce for next time (§8)', async () => {
    const res = await postForm(h.url('/token'), form, { DPoP: await signProof(key, { htu: h.url('/token') }) });
    expect(res.status).toBe(200);
    expect(res.body.jkt).toBe(key.jkt);
    expect(res.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('(1) refuses a request with two DPoP header fields', async () => {
    const a = await signProof(key, { htu: h.url('/token') });
    const b = await signProof(key, { htu: h.url('/token') });
    const res = await rawPost(h.url('/token'), [['content-type', 'application/x-www-form-urlencoded'], ['DPoP', a], ['DPoP', b]], new URLSearchParams(form).toString());
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_dpop_proof');
    expect(res.body.error_description).toMatch(/More than one DPoP header/);
  });

  it('answers garbage proofs with 400 invalid_dpop_proof and a description, never a 500', async () => {
    for (const garbage of ['x', 'a.b.c', '...', '\u00e9t\u00e9.a.b', 'eyJhbGciOiJub25lIn0.e30.', 'e30.e30.e30', `${'A'.repeat(9000)}.b.c`]) {
      const res = await postForm(h.url('/token'), form, { DPoP: garbage });
      expect(res.status, garbage.slice(0, 20)).toBe(400);
      expect(res.body.error).toBe('invalid_dpop_proof');
      expect(typeof res.body.error_description).toBe('string');
    }
  });

  it('refuses a proof made for another endpoint (htu) at this one', async () => {
    const res = await postForm(h.url('/par'), form, { DPoP: await signProof(key, { htu: h.url('/token') }) });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_dpop_proof');
    expect(res.body.error_description).toMatch(/htu/);
  });

  it('refuses a replayed proof', async () => {
    const proof = await signProof(key, { htu: h.url('/token') });
    expect((await postForm(h.url('/token'), form, { DPoP: proof })).status).toBe(200);
    const replay = await postForm(h.url('/token'), form, { DPoP: proof });
    expect(replay.status).toBe(400);
    expect(replay.body.error_description).toMatch(/already been used/);
  });

  it('(12) checks ath against the access token sent with the proof', async () => {
    const token = 'an-access-token';
    const get = async (ath: string) =>
      fetch(h.url('/resource'), { headers: { Authorization: `DPoP ${token}`, DPoP: await signProof(key, { htu: h.url('/resource'), htm: 'GET', claims: { ath } }) } });
    expect((await get(accessTokenHash(token))).status).toBe(200);
    const wrong = await get(accessTokenHash('other'));
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: string }).error).toBe('invalid_dpop_proof');
  });
});

describe('RFC 9449 §8 server nonce challenge', () => {
  let h: Harness;
  let key: ProofKey;
  const form = { grant_type: 'client_credentials', client_id: 'public-app' };

  beforeAll(async () => {
    h = await startHarness({ dpop: { requireNonce: true } });
    key = await proofKey();
    await h.createClient({ clientId: 'public-app' });
  });
  afterAll(async () => {
    await h?.close();
  });

  const proof = (nonce?: string) => signProof(key, { htu: h.url('/token'), claims: { nonce, iat: h.ctx.now() } });

  it('challenges a proof without a nonce with use_dpop_nonce and a DPoP-Nonce header, then accepts the retry', async () => {
    const first = await postForm(h.url('/token'), form, { DPoP: await proof() });
    expect(first.status).toBe(400);
    expect(first.body.error).toBe('use_dpop_nonce');
    const nonce = first.headers.get('dpop-nonce');
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const retry = await postForm(h.url('/token'), form, { DPoP: await proof(nonce as string) });
    expect(retry.status).toBe(200);
    expect(retry.body.jkt).toBe(key.jkt);
    expect(retry.headers.get('dpop-nonce')).toBe(nonce);
  });

  it('refuses a nonce this server did not issue', async () => {
    const res = await postForm(h.url('/token'), form, { DPoP: await proof('A'.repeat(43)) });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('use_dpop_nonce');
    expect(res.body.error_description).toMatch(/not valid or has expired/);
  });

  it('refuses a stale nonce and hands out a fresh one', async () => {
    const first = await postForm(h.url('/token'), form, { DPoP: await proof() });
    const old = first.headers.get('dpop-nonce') as string;
    h.clock.offset += 2 * DPOP_NONCE_SLOT_SECONDS;
    try {
      const stale = await postForm(h.url('/token'), form, { DPoP: await proof(old) });
      expect(stale.status).toBe(400);
      expect(stale.body.error).toBe('use_dpop_nonce');
      const fresh = stale.headers.get('dpop-nonce') as string;
      expect(fresh).not.toBe(old);
      expect((await postForm(h.url('/token'), form, { DPoP: await proof(fresh) })).status).toBe(200);
    } finally {
      h.clock.offset -= 2 * DPOP_NONCE_SLOT_SECONDS;
    }
  });
});
