/**
 * A trusted issuer's keys (federation/jwks.ts): by value, only public asymmetric keys count; by
 * jwks_uri, fetched through the SSRF-safe fetch (loopback only under the development allowance),
 * cached, and fetched again for an unknown kid only after a cooldown (key rotation without
 * fetch storms). Real HTTP on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { errors, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigSchema } from '../../src/config/config.ts';
import type { ServerContext } from '../../src/context.ts';
import { issuerKeyResolver, IssuerKeysError, JWKS_FAILURE_COOLDOWN_MS, JWKS_STALE_GRACE_MAX_MS } from '../../src/federation/jwks.ts';

interface Key {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}
async function key(): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = randomUUID();
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256' } };
}
const sign = (k: Key) => new SignJWT({ sub: 'w' }).setProtectedHeader({ alg: 'ES256', kid: k.kid }).setIssuer('https://cluster.example').setExpirationTime('5m').sign(k.privateKey);

/** Only the config is read by the resolver: a context with the real parsed configuration. */
function context(devAllowedHosts: string[]): ServerContext {
  const config = ConfigSchema.parse({ mode: 'development', issuer: 'http://127.0.0.1:1', port: 1, dataDir: tmpdir(), databaseUrl: ':memory:', secretKey: randomBytes(32).toString('base64url'), federation: { devAllowedHosts, jwksTimeoutMs: 2000 } });
  return { config } as ServerContext;
}

let server: Server;
let port = 0;
let fetches = 0;
let answer: { status: number; body: string } = { status: 200, body: '{"keys":[]}' };
beforeAll(async () => {
  server = createServer((_req, res) => {
    fetches += 1;
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a = server.address();
  port = typeof a === 'object' && a ? a.port : 0;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
afterEach(() => {
  vi.useRealTimers();
});

describe('RFC 7517 §5 trusted issuer JWK Set fetched from jwks_uri', () => {
  it('fetches once, serves later verifications from the cache, and fetches again for a rotated key only after the cooldown', async () => {
    const [k1, k2] = [await key(), await key()];
    answer = { status: 200, body: JSON.stringify({ keys: [k1.jwk] }) };
    const ctx = context([`127.0.0.1:${port}`]);
    const resolver = issuerKeyResolver(ctx, { issuer: 'https://cluster.example', jwksUri: `http://127.0.0.1:${port}/jwks-a` });
    const start = fetches;
    await jwtVerify(await sign(k1), resolver);
    await jwtVerify(await sign(k1), resolver);
    expect(fetches - start).toBe(1);

    answer = { status: 200, body: JSON.stringify({ keys: [k1.jwk, k2.jwk] }) };
    // Within the cooldown an unknown kid is refused without a fetch (no fetch storms).
    await expect(jwtVerify(await sign(k2), resolver)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    expect(fetches - start).toBe(1);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 31_000);
    await jwtVerify(await sign(k2), resolver);
    expect(fetches - start).toBe(2);
  });

  it('fetches again once the cache age has passed', async () => {
    const k = await key();
    answer = { status: 200, body: JSON.stringify({ keys: [k.jwk] }) };
    const resolver = issuerKeyResolver(context([`127.0.0.1:${port}`]), { issuer: 'https://cluster.example', jwksUri: `http://127.0.0.1:${port}/jwks-b` });
    const start = fetches;
    await jwtVerify(await sign(k), resolver);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 601_000);
    await jwtVerify(await sign(k), resolver);
    expect(fetches - start).toBe(2);
  });

  it('refuses a loopback jwks_uri without the development allowance (SSRF), and plain http to a public host', async () => {
    const k = await key();
    const loopback = issuerKeyResolver(context([]), { issuer: 'https://x.example', jwksUri: `https://127.0.0.1:${port}/jwks` });
    await expect(jwtVerify(await sign(k), loopback)).rejects.toThrow(IssuerKeysError);
    await expect(jwtVerify(await sign(k), loopback)).rejects.toThrow(/loopback|refused/);
    const http = issuerKeyResolver(context([]), { issuer: 'https://y.example', jwksUri: 'http://jwks.example/keys' });
    await expect(jwtVerify(await sign(k), http)).rejects.toThrow(/https/);
  });

  it('refuses answers that are not a JWK Set of public keys', async () => {
    const k = await key();
    const cases: [number, string, RegExp][] = [
      [500, '{}', /HTTP 500/],
      [200, 'not json', /did not return JSON/],
      [200, JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }), /no public signature keys/],
      [200, JSON.stringify({ keys: [{ ...k.jwk, d: 'private' }] }), /no public signature keys/],
    ];
    for (const [i, [status, body, reason]] of cases.entries()) {
      answer = { status, body };
      const resolver = issuerKeyResolver(context([`127.0.0.1:${port}`]), { issuer: 'https://z.example', jwksUri: `http://127.0.0.1:${port}/bad-${i}` });
      await expect(jwtVerify(await sign(k), resolver)).rejects.toThrow(reason);
    }
  });
});

describe('an issuer whose jwks_uri is down', () => {
  it('remembers a failed fetch for the failure cooldown instead of fetching again for every assertion', async () => {
    const k = await key();
    answer = { status: 503, body: '{}' };
    const resolver = issuerKeyResolver(context([`127.0.0.1:${port}`]), { issuer: 'https://down.example', jwksUri: `http://127.0.0.1:${port}/down` });
    const start = fetches;
    await expect(jwtVerify(await sign(k), resolver)).rejects.toThrow(/HTTP 503/);
    answer = { status: 200, body: JSON.stringify({ keys: [k.jwk] }) };
    await expect(jwtVerify(await sign(k), resolver)).rejects.toThrow(/HTTP 503/); // answered from memory
    expect(fetches - start).toBe(1);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + JWKS_FAILURE_COOLDOWN_MS + 1000);
    expect((await jwtVerify(await sign(k), resolver)).payload.sub).toBe('w');
    expect(fetches - start).toBe(2);
  });

  /** A resolver whose set was fetched once at t0, then the given answer; Date faked from t0 on. */
  async function expiredAfter(name: string, failing: { status: number; body: string }) {
    const k = await key();
    answer = { status: 200, body: JSON.stringify({ keys: [k.jwk] }) };
    const resolver = issuerKeyResolver(context([`127.0.0.1:${port}`]), { issuer: `https://${name}.example`, jwksUri: `http://127.0.0.1:${port}/${name}` });
    const start = fetches;
    await jwtVerify(await sign(k), resolver);
    answer = failing;
    vi.useFakeTimers({ toFake: ['Date'] });
    return { k, resolver, start, t0: Date.now() };
  }

  it('serves the expired set while the issuer answers 5xx, for at most min(cache age, 5 min) past expiry, then refuses', async () => {
    const { k, resolver, start, t0 } = await expiredAfter('flaky', { status: 503, body: '{}' });
    vi.setSystemTime(t0 + 601_000); // expired (jwksCacheSeconds 600): the refresh fails, the stale set serves
    expect((await jwtVerify(await sign(k), resolver)).payload.sub).toBe('w');
    expect((await jwtVerify(await sign(k), resolver)).payload.sub).toBe('w'); // within the failure cooldown: no fetch
    expect(fetches - start).toBe(2);
    vi.setSystemTime(t0 + 600_000 + JWKS_STALE_GRACE_MAX_MS - 1000); // still within the cap (after a fresh failed fetch)
    expect((await jwtVerify(await sign(k), resolver)).payload.sub).toBe('w');
    vi.setSystemTime(t0 + 600_000 + JWKS_STALE_GRACE_MAX_MS + 1000); // past the cap (5 min, less than a cache age): refused
    await expect(jwtVerify(await sign(k), resolver)).rejects.toThrow(/HTTP 503/);
  });

  for (const [what, failing, reason] of [
    ['404 (a withdrawn JWKS)', { status: 404, body: '{}' }, /HTTP 404/],
    ['410', { status: 410, body: '{}' }, /HTTP 410/],
    ['an invalid document', { status: 200, body: 'not json' }, /did not return JSON/],
  ] as const) {
    it(`refuses at once, without the stale grace, when the refresh after expiry gets ${what}`, async () => {
      const { k, resolver, t0 } = await expiredAfter(`gone-${failing.status}`, { ...failing });
      vi.setSystemTime(t0 + 601_000);
      await expect(jwtVerify(await sign(k), resolver)).rejects.toThrow(reason);
      await expect(jwtVerify(await sign(k), resolver)).rejects.toThrow(reason); // remembered: still refused in the cooldown
    });
  }

  for (const status of [429, 408]) {
    it(`serves the expired set while the issuer answers ${status} (availability, not a withdrawal)`, async () => {
      const { k, resolver, t0 } = await expiredAfter(`busy-${status}`, { status, body: '{}' });
      vi.setSystemTime(t0 + 601_000);
      expect((await jwtVerify(await sign(k), resolver)).payload.sub).toBe('w');
    });
  }

  it('keeps the grace ended when a 404 is followed, after the failure cooldown, by a 5xx', async () => {
    const { k, resolver, start, t0 } = await expiredAfter('gone-then-down', { status: 404, body: '{}' });
    vi.setSystemTime(t0 + 601_000);
    await expect(jwtVerify(await sign(k), resolver)).rejects.toThrow(/HTTP 404/);
    answer = { status: 503, body: '{}' };
    vi.setSystemTime(t0 + 601_000 + JWKS_FAILURE_COOLDOWN_MS + 1000); // within cache age + grace, but the set was withdrawn
    await expect(jwtVerify(await sign(k), resolver)).rejects.toThrow(/HTTP 503/);
    expect(fetches - start).toBe(3); // the 503 was fetched, not answered from memory
    // Only a good fetch lifts it: the grace applies again to the next outage.
    answer = { status: 200, body: JSON.stringify({ keys: [k.jwk] }) };
    vi.setSystemTime(t0 + 601_000 + 2 * (JWKS_FAILURE_COOLDOWN_MS + 1000));
    expect((await jwtVerify(await sign(k), resolver)).payload.sub).toBe('w');
    answer = { status: 503, body: '{}' };
    vi.setSystemTime(Date.now() + 601_000);
    expect((await jwtVerify(await sign(k), resolver)).payload.sub).toBe('w');
  });

  it('ends the grace when a 5xx outage turns into a 404', async () => {
    const { k, resolver, t0 } = await expiredAfter('outage-then-gone', { status: 503, body: '{}' });
    vi.setSystemTime(t0 + 601_000);
    expect((await jwtVerify(await sign(k), resolver)).payload.sub).toBe('w');
    answer = { status: 404, body: '{}' };
    vi.setSystemTime(t0 + 601_000 + JWKS_FAILURE_COOLDOWN_MS + 1000); // still within the grace, but the issuer now answers
    await expect(jwtVerify(await sign(k), resolver)).rejects.toThrow(/HTTP 404/);
  });
});

describe('which fetch failures count as an outage (IssuerKeysError.transient: the stale grace)', () => {
  const failure = async (resolver: ReturnType<typeof issuerKeyResolver>): Promise<IssuerKeysError> => {
    const k = await key();
    const err: unknown = await jwtVerify(await sign(k), resolver).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(IssuerKeysError);
    return err as IssuerKeysError;
  };

  it('a connection refused is an outage', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const a = closed.address();
    const closedPort = typeof a === 'object' && a ? a.port : 0;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await failure(issuerKeyResolver(context([`127.0.0.1:${closedPort}`]), { issuer: 'https://refused.example', jwksUri: `http://127.0.0.1:${closedPort}/jwks` }));
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.transient).toBe(true);
  });

  it('NXDOMAIN (a decommissioned domain) is a withdrawal, not an outage', async () => {
    const err = await failure(issuerKeyResolver(context([]), { issuer: 'https://gone.example', jwksUri: 'https://jwks.gone.invalid/keys' })); // RFC 6761 §6.4: ENOTFOUND without a query
    expect(err.message).toMatch(/ENOTFOUND/);
    expect(err.transient).toBe(false);
  });

  it('an error that is not a fetch failure (a programming error) is not taken for an outage', async () => {
    const ctx = context([`127.0.0.1:${port}`]);
    ctx.config.federation.jwksTimeoutMs = -1; // AbortSignal.timeout throws a RangeError, not an OutboundFetchError
    const err = await failure(issuerKeyResolver(ctx, { issuer: 'https://bug.example', jwksUri: `http://127.0.0.1:${port}/bug` }));
    expect(err.transient).toBe(false);
  });
});

describe('RFC 7517 §5 trusted issuer JWK Set given by value', () => {
  it('verifies with the public keys and refuses a set without any', async () => {
    const k = await key();
    const resolver = issuerKeyResolver(context([]), { issuer: 'https://v.example', jwks: { keys: [k.jwk as Record<string, unknown>] } });
    expect((await jwtVerify(await sign(k), resolver)).payload.sub).toBe('w');
    expect(() => issuerKeyResolver(context([]), { issuer: 'https://w.example', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } })).toThrow(IssuerKeysError);
  });
});
