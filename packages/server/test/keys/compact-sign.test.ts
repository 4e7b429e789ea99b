/**
 * Signing goes through jose's CompactSign over the serialized claims (keys/signing-keys.ts): the
 * tokens must be exactly what SignJWT would have produced (RFC 7519 §7.1: the claims set, as JSON,
 * is the JWS payload) and keep SignJWT's refusal of non-finite time claims.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { base64url, decodeProtectedHeader, jwtVerify, createLocalJWKSet } from 'jose';
import { openKeyFixture, ISSUER, type KeyFixture } from './fixture.ts';

let fx: KeyFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

describe('RFC 7519 §7.1 JWT creation with CompactSign', () => {
  it('the payload segment is the JSON of the claims, with iss added, and the header names alg, kid and typ', async () => {
    fx = await openKeyFixture('sqlite');
    const keys = await fx.keys();
    const claims = { sub: 'u1', aud: ['https://a.example', 'https://b.example'], iat: fx.clock.t, exp: fx.clock.t + 60, scope: 'a b', cnf: { jkt: 'x' } };
    const token = await keys.sign(claims, { typ: 'at+jwt' });
    const [header, payload, signature] = token.split('.');
    expect(JSON.parse(new TextDecoder().decode(base64url.decode(payload as string)))).toEqual({ ...claims, iss: ISSUER });
    expect(payload).toBe(base64url.encode(JSON.stringify({ ...claims, iss: ISSUER })));
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: expect.any(String), typ: 'at+jwt' });
    expect(header).toBeTruthy();
    expect(signature).toMatch(/^[A-Za-z0-9_-]{86}$/); // ES256: 64-byte r||s (RFC 7518 §3.4)

    const { payload: verified } = await jwtVerify(token, createLocalJWKSet(await keys.jwks()), { issuer: ISSUER, typ: 'at+jwt', currentDate: new Date(fx.clock.t * 1000) });
    expect(verified).toEqual({ ...claims, iss: ISSUER });
  });

  it('keeps an iss the caller set', async () => {
    fx = await openKeyFixture('sqlite');
    const keys = await fx.keys();
    const token = await keys.sign({ iss: 'https://other.example', sub: 'u1', iat: fx.clock.t, exp: fx.clock.t + 60 }, { typ: 'JWT' });
    expect(JSON.parse(new TextDecoder().decode(base64url.decode(token.split('.')[1] as string))).iss).toBe('https://other.example');
  });

  it('refuses non-finite NumericDate claims (RFC 7519 §2), as SignJWT does', async () => {
    fx = await openKeyFixture('sqlite');
    const keys = await fx.keys();
    for (const claim of ['iat', 'nbf', 'exp'] as const) {
      await expect(keys.sign({ sub: 'u1', [claim]: Number.POSITIVE_INFINITY }, { typ: 'JWT' })).rejects.toThrow(TypeError);
      await expect(keys.sign({ sub: 'u1', [claim]: Number.NaN }, { typ: 'JWT' })).rejects.toThrow(TypeError);
    }
  });
});
