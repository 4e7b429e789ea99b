import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '@mandate/protocol';
import { Params } from '../../src/http/params.ts';
import { checkDpopJktMatchesProof, isJwkThumbprint, jwkThumbprint, readDpopJktParameter } from '../../src/dpop/jkt.ts';
import { publicJwkProblem } from '../../src/dpop/public-jwk.ts';
import { proofKey } from './proofs.ts';

describe('RFC 7638 JWK thumbprints as DPoP uses them (RFC 9449 §6.1)', () => {
  it('is the 43-character base64url SHA-256 thumbprint for each accepted key type', async () => {
    for (const alg of ['ES256', 'EdDSA', 'RS256', 'PS256']) {
      const key = await proofKey(alg);
      const jkt = await jwkThumbprint(key.jwk);
      expect(jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(jkt).toBe(key.jkt);
      // The private JWK has the same thumbprint (RFC 7638 §3.2 uses only the public members).
      expect(await jwkThumbprint(key.privateJwk)).toBe(jkt);
    }
  });

  it('matches the RFC 7638 §3.1 example', async () => {
    const jwk = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    };
    expect(await jwkThumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });
});

describe('RFC 9449 §10 dpop_jkt authorization request parameter', () => {
  it('is optional', () => {
    expect(readDpopJktParameter(new Params([]))).toBeNull();
  });

  it('accepts a SHA-256 thumbprint', async () => {
    const { jkt } = await proofKey();
    expect(readDpopJktParameter(new Params([['dpop_jkt', jkt]]))).toBe(jkt);
    expect(isJwkThumbprint(jkt)).toBe(true);
  });

  it('refuses anything that cannot be a SHA-256 thumbprint with invalid_request', () => {
    for (const value of ['abc', 'x'.repeat(42), 'x'.repeat(44), `${'x'.repeat(42)}=`, `${'x'.repeat(42)}+`, `${'x'.repeat(42)}/`]) {
      expect(() => readDpopJktParameter(new Params([['dpop_jkt', value]]))).toThrow(InvalidRequestError);
    }
  });

  it('§10.1: a PAR request whose dpop_jkt and DPoP proof name different keys is refused', async () => {
    const a = await proofKey();
    const b = await proofKey();
    expect(() => checkDpopJktMatchesProof(a.jkt, a.jkt)).not.toThrow();
    expect(() => checkDpopJktMatchesProof(a.jkt, null)).not.toThrow();
    expect(() => checkDpopJktMatchesProof(null, b.jkt)).not.toThrow();
    expect(() => checkDpopJktMatchesProof(a.jkt, b.jkt)).toThrow(/does not match/);
  });
});

describe('RFC 9449 §4.3 (7) public keys only', () => {
  it('accepts public EC, OKP and RSA keys', async () => {
    for (const alg of ['ES256', 'EdDSA', 'RS256']) expect(publicJwkProblem((await proofKey(alg)).jwk)).toBeNull();
  });

  it('names the problem with private, symmetric or malformed keys', async () => {
    expect(publicJwkProblem((await proofKey('ES256')).privateJwk)).toMatch(/private key member "d"/);
    expect(publicJwkProblem((await proofKey('RS256')).privateJwk)).toMatch(/private key member/);
    expect(publicJwkProblem({ kty: 'oct', k: 'c2VjcmV0' })).toMatch(/symmetric/);
    expect(publicJwkProblem({ kty: 'XYZ' })).toMatch(/unsupported key type/);
    expect(publicJwkProblem({})).toMatch(/no "kty"/);
    expect(publicJwkProblem([])).toMatch(/not a JSON object/);
    expect(publicJwkProblem('jwk')).toMatch(/not a JSON object/);
  });
});
