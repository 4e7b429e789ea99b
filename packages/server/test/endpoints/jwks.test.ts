import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calculateJwkThumbprint, createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JWK } from 'jose';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { Paths } from '../../src/endpoints/paths.ts';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

async function getJwks(ts: TestServer): Promise<{ response: Response; keys: JWK[] }> {
  const response = await fetch(`${ts.issuer}${Paths.jwks}`);
  const body = (await response.json()) as { keys: JWK[] };
  return { response, keys: body.keys };
}

describe('RFC 7517 §5 JWK Set endpoint', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer();
  });
  afterAll(async () => ts.close());

  it('serves the public signing key as a JWK Set, cacheable, with the JWK Set media type (§8.5)', async () => {
    const { response, keys } = await getJwks(ts);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/jwk-set+json');
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(keys).toHaveLength(1);
    const [key] = keys;
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(key!.kid).toBe(await calculateJwkThumbprint(key!, 'sha256'));
    for (const m of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(m);
  });

  it('its keys verify tokens the server signs (what a resource server does, RS-2)', async () => {
    const ctx = ts.server.ctx;
    const token = await ctx.keys.sign({ sub: 'u1', aud: 'https://rs.example.test', iat: ctx.now(), exp: ctx.now() + 60 }, { typ: 'at+jwt' });
    const jwks = createRemoteJWKSet(new URL(`${ts.issuer}${Paths.jwks}`));
    await expect(jwtVerify(token, jwks, { issuer: ts.issuer, audience: 'https://rs.example.test', typ: 'at+jwt' })).resolves.toBeTruthy();
  });

  it('after a rotation it publishes both keys, so tokens signed before and after verify (rotation overlap)', async () => {
    const ctx = ts.server.ctx;
    const before = await ctx.keys.sign({ sub: 'u1', iat: ctx.now(), exp: ctx.now() + 60 }, { typ: 'at+jwt' });
    const rotated = await ctx.keys.rotate();
    const after = await ctx.keys.sign({ sub: 'u2', iat: ctx.now(), exp: ctx.now() + 60 }, { typ: 'at+jwt' });
    const { keys } = await getJwks(ts);
    expect(keys).toHaveLength(2);
    expect(keys[0]?.kid).toBe(rotated.kid);
    for (const key of keys) for (const m of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(m);
    const local = createLocalJWKSet({ keys });
    for (const token of [before, after]) await expect(jwtVerify(token, local, { issuer: ts.issuer })).resolves.toBeTruthy();
  });

  it('answers a CORS preflight (browser-based clients fetch keys cross-origin)', async () => {
    const response = await fetch(`${ts.issuer}${Paths.jwks}`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.test', 'access-control-request-method': 'GET' },
    });
    expect(response.status).toBeLessThan(300);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('RFC 7517 §5 JWK Set per signing algorithm', () => {
  for (const [alg, kty] of [
    ['EdDSA', 'OKP'],
    ['RS256', 'RSA'],
  ] as const) {
    it(`${alg}: publishes a ${kty} key with only public members`, async () => {
      const ts = await startTestServer({ signingAlg: alg });
      try {
        const { keys } = await getJwks(ts);
        expect(keys.map((k) => [k.kty, k.alg])).toEqual([[kty, alg]]);
        for (const m of PRIVATE_MEMBERS) expect(keys[0]).not.toHaveProperty(m);
      } finally {
        await ts.close();
      }
    });
  }
});
