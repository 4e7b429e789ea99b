/**
 * RFC 9449 §7 DPoP-bound access tokens at the resource server: the DPoP scheme, proof checks
 * (htm, htu, ath, iat, jti replay, cnf.jkt) and the server nonce (§9), through the Express adapter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import type { TokenServer } from '../../server/test/token/fixtures.ts';
import { INITIALIZE, machineToken, proofKey, rpc, signProof, startAs, startMcp, type ProofKey, type RunningMcp } from './support/setup.ts';

let as: TokenServer;
let rs: RunningMcp;
let key: ProofKey;
let token: string;

const ath = (t: string) => createHash('sha256').update(t).digest('base64url');

beforeAll(async () => {
  as = await startAs();
  rs = await startMcp(as, 'express', { dpop: { algs: ['ES256', 'EdDSA'] } });
  key = await proofKey();
  token = await machineToken(as, 'hr:read', rs.url, await signProof(key, { htu: as.tokenUrl }));
});
afterAll(async () => {
  await rs?.close();
  await as?.close();
});

function proof(claims: Record<string, unknown> = {}, k: ProofKey = key, htm = 'POST', htu = rs.url): Promise<string> {
  return signProof(k, { htm, htu, claims: { ath: ath(token), ...claims } });
}

function expectDpopError(res: { status: number; headers: Headers }, error: string, description: RegExp): void {
  expect(res.status).toBe(401);
  const challenge = res.headers.get('www-authenticate') ?? '';
  // The error rides on the DPoP challenge; Bearer is still offered (DPoP not required here).
  expect(challenge).toMatch(new RegExp(`DPoP error="${error}", error_description="[^"]*"`));
  expect(challenge).toMatch(description);
  expect(challenge).toMatch(/algs="ES256 EdDSA"/);
}

describe('RFC 9449 §7.1 a DPoP-bound token with a valid proof', () => {
  it('is accepted with the DPoP scheme', async () => {
    const res = await rpc(rs.url, INITIALIZE, { authorization: `DPoP ${token}`, dpop: await proof() });
    expect(res.status).toBe(200);
    expect(res.body.result.serverInfo.name).toBe('hr-test');
  });
});

describe('RFC 9449 §7.1 a DPoP-bound token without its proof', () => {
  it('is refused as a Bearer token', async () => {
    const res = await rpc(rs.url, INITIALIZE, { authorization: `Bearer ${token}` });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token", error_description="a DPoP-bound access token must be presented with the DPoP scheme/);
  });

  it('is refused with the DPoP scheme but no DPoP header', async () => {
    expectDpopError(await rpc(rs.url, INITIALIZE, { authorization: `DPoP ${token}` }), 'invalid_dpop_proof', /proof is required/);
  });
});

describe('RFC 9449 §4.3 proof checks', () => {
  it('refuses a proof for another URL', async () => {
    expectDpopError(await rpc(rs.url, INITIALIZE, { authorization: `DPoP ${token}`, dpop: await proof({}, key, 'POST', `${rs.origin}/other`) }), 'invalid_dpop_proof', /htu/);
  });

  it('refuses a proof for another method', async () => {
    expectDpopError(await rpc(rs.url, INITIALIZE, { authorization: `DPoP ${token}`, dpop: await proof({}, key, 'GET') }), 'invalid_dpop_proof', /htm/);
  });

  it('refuses a proof without the access token hash, or with a wrong one', async () => {
    expectDpopError(await rpc(rs.url, INITIALIZE, { authorization: `DPoP ${token}`, dpop: await proof({ ath: undefined }) }), 'invalid_dpop_proof', /ath/);
    expectDpopError(await rpc(rs.url, INITIALIZE, { authorization: `DPoP ${token}`, dpop: await proof({ ath: ath('other') }) }), 'invalid_dpop_proof', /ath/);
  });

  it('refuses a stale proof (iat outside the window)', async () => {
    expectDpopError(await rpc(rs.url, INITIALIZE, { authorization: `DPoP ${token}`, dpop: await proof({ iat: Math.floor(Date.now() / 1000) - 600 }) }), 'invalid_dpop_proof', /iat/);
  });

  it('refuses a replayed proof (§11.1)', async () => {
    const p = await proof();
    expect((await rpc(rs.url, INITIALIZE, { authorization: `DPoP ${token}`, dpop: p })).status).toBe(200);
    expectDpopError(await rpc(rs.url, INITIALIZE, { authorization: `DPoP ${token}`, dpop: p }), 'invalid_dpop_proof', /already used/);
  });

  it('refuses a proof signed by another key than the token is bound to (cnf.jkt)', async () => {
    const other = await proofKey();
    expectDpopError(await rpc(rs.url, INITIALIZE, { authorization: `DPoP ${token}`, dpop: await proof({}, other) }), 'invalid_dpop_proof', /bound to/);
  });

  it('refuses a proof with an algorithm outside the allowlist', async () => {
    const rsaKey = await proofKey('PS256');
    expectDpopError(await rpc(rs.url, INITIALIZE, { authorization: `DPoP ${token}`, dpop: await proof({}, rsaKey) }), 'invalid_dpop_proof', /algorithm/);
  });

  it('refuses two DPoP headers (§4.3 (1): exactly one)', async () => {
    const headers = new Headers({ authorization: `DPoP ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' });
    headers.append('dpop', await proof());
    headers.append('dpop', await proof());
    const res = await fetch(rs.url, { method: 'POST', headers, body: JSON.stringify(INITIALIZE) });
    expectDpopError({ status: res.status, headers: res.headers }, 'invalid_dpop_proof', /exactly one DPoP proof/);
  });

  it('answers 400 to an oversized DPoP header', async () => {
    const res = await rpc(rs.url, INITIALIZE, { authorization: `DPoP ${token}`, dpop: 'a'.repeat(9000) });
    expect(res.status).toBe(400);
    expect(res.body.error_description).toMatch(/DPoP header is too large/);
  });

  it('refuses garbage in the DPoP header', async () => {
    expectDpopError(await rpc(rs.url, INITIALIZE, { authorization: `DPoP ${token}`, dpop: 'garbage' }), 'invalid_dpop_proof', /not a JWT/);
  });
});

describe('RFC 9449 §9 resource server nonce', () => {
  it('answers use_dpop_nonce with a DPoP-Nonce header, then accepts a proof carrying it', async () => {
    const nonceRs = await startMcp(as, 'express', { dpop: { nonce: true } });
    try {
      const bound = await machineToken(as, 'hr:read', nonceRs.url, await signProof(key, { htu: as.tokenUrl }));
      const first = await rpc(nonceRs.url, INITIALIZE, { authorization: `DPoP ${bound}`, dpop: await signProof(key, { htu: nonceRs.url, claims: { ath: ath(bound) } }) });
      expect(first.status).toBe(401);
      expect(first.headers.get('www-authenticate')).toMatch(/DPoP error="use_dpop_nonce"/);
      const nonce = first.headers.get('dpop-nonce');
      expect(nonce).toBeTruthy();
      const second = await rpc(nonceRs.url, INITIALIZE, { authorization: `DPoP ${bound}`, dpop: await signProof(key, { htu: nonceRs.url, claims: { ath: ath(bound), nonce } }) });
      expect(second.status).toBe(200);
      // §9: the success carries the current nonce for the next proof.
      expect(second.headers.get('dpop-nonce')).toBe(nonce);
    } finally {
      await nonceRs.close();
    }
  });
});

describe('RFC 9728 §2 dpop_bound_access_tokens_required', () => {
  it('refuses a Bearer (unbound) token when DPoP is required', async () => {
    const strict = await startMcp(as, 'express', { dpop: { required: true } });
    try {
      const unbound = await machineToken(as, 'hr:read', strict.url);
      const res = await rpc(strict.url, INITIALIZE, { authorization: `Bearer ${unbound}` });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_token", error_description="this resource server accepts only DPoP-bound/);
    } finally {
      await strict.close();
    }
  });
});
