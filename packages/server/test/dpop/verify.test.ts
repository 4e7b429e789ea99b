/**
 * Every RFC 9449 §4.3 check, each proven with a crafted bad proof, against a real ServerContext
 * (real SQLite storage for the replay cache). HTTP-level behaviour (headers, status codes) is in
 * http.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidDpopProofError, InvalidGrantError, InvalidTokenError } from '@mandate/protocol';
import { verifyDpopProof, type DpopProofInput } from '../../src/dpop/index.ts';
import { accessTokenHash } from '../../src/dpop/checks/claims.ts';
import { startHarness, type Harness } from './harness.ts';
import { hmacWithPublicKey, nowSeconds, proofKey, signProof, unsecuredProof, type ProofKey } from './proofs.ts';

let h: Harness;
let key: ProofKey;
let htu: string;

beforeAll(async () => {
  h = await startHarness();
  key = await proofKey('ES256');
  htu = h.url('/token');
});
afterAll(async () => {
  await h?.close();
});

function verify(proof: string | undefined, input: Partial<DpopProofInput> = {}) {
  return verifyDpopProof(h.ctx, { proof, htm: 'POST', htu, ...input });
}

async function refused(proof: string | undefined, description: RegExp, input: Partial<DpopProofInput> = {}): Promise<void> {
  const err = await verify(proof, input).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidDpopProofError);
  expect((err as InvalidDpopProofError).description).toMatch(description);
}

describe('RFC 9449 §4.3 a valid proof', () => {
  it.each(['ES256', 'EdDSA', 'RS256', 'PS256'])('is accepted with %s and yields the RFC 7638 thumbprint of its key', async (alg) => {
    const k = await proofKey(alg);
    const result = await verify(await signProof(k, { htu }));
    expect(result.jkt).toBe(k.jkt);
    expect(result.jwk).toMatchObject({ kty: k.jwk.kty });
    expect(result.jwk).not.toHaveProperty('d');
  });

  it('accepts an iat anywhere inside the window, both directions', async () => {
    const { iatWindow } = h.ctx.config.dpop;
    await expect(verify(await signProof(key, { htu, claims: { iat: nowSeconds() - iatWindow + 5 } }))).resolves.toMatchObject({ jkt: key.jkt });
    await expect(verify(await signProof(key, { htu, claims: { iat: nowSeconds() + iatWindow - 5 } }))).resolves.toMatchObject({ jkt: key.jkt });
  });

  it('accepts typ in its full media-type form and in any case (RFC 7515 §4.1.9)', async () => {
    await expect(verify(await signProof(key, { htu, header: { typ: 'application/dpop+jwt' } }))).resolves.toBeDefined();
    await expect(verify(await signProof(key, { htu, header: { typ: 'DPoP+JWT' } }))).resolves.toBeDefined();
  });
});

describe('RFC 9449 §4.3 (2) a single well-formed JWT', () => {
  it('requires a proof', async () => {
    await refused(undefined, /DPoP proof is required/);
    await refused('', /DPoP proof is required/);
  });

  it.each([
    ['one part', 'abc'],
    ['two parts', 'abc.def'],
    ['four parts', 'a.b.c.d'],
    ['characters outside base64url', 'ab+c.de/f.ghi'],
    ['spaces', 'eyJ hbGc.e30.sig'],
    ['a JWE-like five-part value', 'a.b.c.d.e'],
  ])('refuses %s', async (_name, proof) => {
    await refused(proof, /not a compact JWS/);
  });

  it('refuses a header that is not base64url JSON', async () => {
    await refused('bm90IGpzb24.e30.c2ln', /header is not valid/);
    await refused(`${Buffer.from('[1,2]').toString('base64url')}.e30.c2ln`, /header is not valid/);
  });

  it('refuses an oversized proof', async () => {
    await refused(`${'a'.repeat(9000)}.b.c`, /longer than/);
  });

  it('refuses a payload that is not a JSON object', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk })).toString('base64url');
    await refused(`${header}.${Buffer.from('"string"').toString('base64url')}.c2ln`, /signature does not verify|payload/);
  });
});

describe('RFC 9449 §4.3 (3) required claims (§4.2)', () => {
  it.each(['jti', 'htm', 'htu', 'iat'])('refuses a proof without %s', async (claim) => {
    await refused(await signProof(key, { htu, claims: { [claim]: undefined } }), new RegExp(`"${claim}"`));
  });

  it('refuses a jti that is not a string or is unbounded', async () => {
    await refused(await signProof(key, { htu, claims: { jti: 42 } }), /"jti"/);
    await refused(await signProof(key, { htu, claims: { jti: 'x'.repeat(300) } }), /"jti" claim is longer/);
  });

  it('refuses a non-numeric iat', async () => {
    await refused(await signProof(key, { htu, claims: { iat: String(nowSeconds()) } }), /"iat"/);
  });
});

describe('RFC 9449 §4.3 (4) typ', () => {
  it.each([
    ['missing', undefined],
    ['JWT', 'JWT'],
    ['at+jwt', 'at+jwt'],
    ['dpop', 'dpop'],
  ])('refuses typ %s', async (_name, typ) => {
    await refused(await signProof(key, { htu, header: { typ } }), /"typ": "dpop\+jwt"/);
  });
});

describe('RFC 9449 §4.3 (5) asymmetric algorithms only', () => {
  it('refuses alg none', async () => {
    await refused(unsecuredProof(key, { htu }), /alg "none".*not accepted/);
  });

  it('refuses HS256 signed with the public key (algorithm confusion)', async () => {
    await refused(await hmacWithPublicKey(key, { htu }), /alg "HS256".*not accepted/);
  });

  it('refuses an asymmetric algorithm the server does not accept', async () => {
    await refused(await signProof(await proofKey('ES384'), { htu }), /alg "ES384".*not accepted/);
  });

  it('never accepts none or HMAC even when configured by mistake', async () => {
    const saved = h.ctx.config.dpop.algs;
    h.ctx.config.dpop.algs = ['ES256', 'HS256', 'none'];
    try {
      await refused(await hmacWithPublicKey(key, { htu }), /alg "HS256".*not accepted/);
      await refused(unsecuredProof(key, { htu }), /alg "none".*not accepted/);
    } finally {
      h.ctx.config.dpop.algs = saved;
    }
  });
});

describe('RFC 9449 §4.3 (6) signature verifies with the jwk header', () => {
  it('refuses a proof signed by another key than the one in its header', async () => {
    const other = await proofKey('ES256');
    await refused(await signProof(other, { htu, header: { jwk: key.jwk } }), /signature does not verify/);
  });

  it('refuses a tampered payload', async () => {
    const [head, , sig] = (await signProof(key, { htu })).split('.');
    const forged = Buffer.from(JSON.stringify({ jti: 'x', htm: 'POST', htu, iat: nowSeconds() })).toString('base64url');
    await refused(`${head}.${forged}.${sig}`, /signature does not verify/);
  });

  it('refuses a jwk whose type does not fit the alg', async () => {
    const rsa = await proofKey('RS256');
    await refused(await signProof(key, { htu, header: { jwk: rsa.jwk } }), /not a usable public key/);
  });

  it('refuses a proof without a jwk header', async () => {
    await refused(await signProof(key, { htu, header: { jwk: undefined } }), /no "jwk" header/);
  });
});

describe('RFC 9449 §4.3 (7) no private key in the jwk header', () => {
  it('refuses a header carrying the private EC key', async () => {
    await refused(await signProof(key, { htu, header: { jwk: key.privateJwk } }), /private key member "d"/);
  });

  it('refuses a header carrying the private RSA key', async () => {
    const rsa = await proofKey('RS256');
    await refused(await signProof(rsa, { htu, header: { jwk: rsa.privateJwk } }), /private key member/);
  });

  it('refuses a symmetric key', async () => {
    await refused(await signProof(key, { htu, header: { jwk: { kty: 'oct', k: 'c2VjcmV0' } } }), /symmetric/);
  });
});

describe('RFC 9449 §4.3 (8) htm', () => {
  it.each(['GET', 'post', 'PUT'])('refuses htm %s on a POST', async (htm) => {
    await refused(await signProof(key, { htu, htm }), /"htm" claim must be "POST"/);
  });
});

describe('RFC 9449 §4.3 (9) htu', () => {
  it('refuses another endpoint, host, port or scheme', async () => {
    const port = Number(new URL(htu).port);
    for (const other of [h.url('/par'), `http://localhost:${port}/token`, `http://127.0.0.1:${port + 1}/token`, `https://127.0.0.1:${port}/token`]) {
      await refused(await signProof(key, { htu: other }), /"htu" claim must be/);
    }
  });

  it('refuses an htu that is not a URI', async () => {
    await refused(await signProof(key, { htu: 'token' }), /"htu" claim must be/);
    await refused(await signProof(key, { htu, claims: { htu: 7 } }), /"htu"/);
  });

  it('ignores query and fragment in htu', async () => {
    await expect(verify(await signProof(key, { htu: `${htu}?x=1#y` }))).resolves.toBeDefined();
  });
});

describe('RFC 9449 §4.3 (11) and §11.1 iat window', () => {
  it('refuses a proof created too long ago', async () => {
    await refused(await signProof(key, { htu, claims: { iat: nowSeconds() - h.ctx.config.dpop.iatWindow - 30 } }), /in the past/);
  });

  it('refuses a proof dated in the future', async () => {
    await refused(await signProof(key, { htu, claims: { iat: nowSeconds() + h.ctx.config.dpop.iatWindow + 30 } }), /in the future/);
  });
});

describe('RFC 9449 §11.1 jti replay', () => {
  it('accepts a proof once and refuses it the second time', async () => {
    const proof = await signProof(key, { htu });
    await expect(verify(proof)).resolves.toBeDefined();
    await refused(proof, /already been used/);
  });

  it('keys the replay cache by key and jti: the same jti under another key is a different proof', async () => {
    const other = await proofKey('ES256');
    await expect(verify(await signProof(key, { htu, claims: { jti: 'shared-jti' } }))).resolves.toBeDefined();
    await expect(verify(await signProof(other, { htu, claims: { jti: 'shared-jti' } }))).resolves.toBeDefined();
    await refused(await signProof(key, { htu, claims: { jti: 'shared-jti' } }), /already been used/);
  });

  it('does not burn the jti of a proof refused by an earlier check', async () => {
    const jti = 'refused-first';
    await refused(await signProof(key, { htu, htm: 'GET', claims: { jti } }), /"htm"/);
    await expect(verify(await signProof(key, { htu, claims: { jti } }))).resolves.toBeDefined();
  });
});

describe('RFC 9449 §4.3 (12) ath and the bound key', () => {
  const accessToken = 'eyJ.example.access-token';

  it('accepts ath = base64url(SHA-256(access token))', async () => {
    const proof = await signProof(key, { htu, htm: 'GET', claims: { ath: accessTokenHash(accessToken) } });
    await expect(verify(proof, { htm: 'GET', accessToken })).resolves.toMatchObject({ jkt: key.jkt });
  });

  it('refuses a missing or wrong ath when an access token accompanies the proof', async () => {
    await refused(await signProof(key, { htu, htm: 'GET' }), /"ath" claim when/, { htm: 'GET', accessToken });
    await refused(await signProof(key, { htu, htm: 'GET', claims: { ath: accessTokenHash('another token') } }), /"ath" claim does not match/, { htm: 'GET', accessToken });
  });

  it('refuses a key other than the one a grant is bound to with invalid_grant', async () => {
    const other = await proofKey();
    await expect(verify(await signProof(other, { htu }), { expectedJkt: key.jkt })).rejects.toBeInstanceOf(InvalidGrantError);
    await expect(verify(await signProof(key, { htu }), { expectedJkt: key.jkt })).resolves.toMatchObject({ jkt: key.jkt });
    await expect(verify(await signProof(other, { htu }), { expectedJkt: null })).resolves.toMatchObject({ jkt: other.jkt });
  });

  it('refuses a key other than the one an access token is bound to with invalid_token', async () => {
    const other = await proofKey();
    const proof = await signProof(other, { htu, htm: 'GET', claims: { ath: accessTokenHash(accessToken) } });
    await expect(verify(proof, { htm: 'GET', accessToken, expectedJkt: key.jkt })).rejects.toBeInstanceOf(InvalidTokenError);
  });
});
