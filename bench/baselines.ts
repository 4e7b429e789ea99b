/**
 * Baselines measured in the same run as the servers, so ratios do not depend on the machine:
 * - raw ES256 signatures/s with node:crypto (P-256, SHA-256, IEEE P1363 r||s as JWS requires);
 * - jose SignJWT ES256 tokens/s, one at a time and with 32 in flight (jose v6 signs through
 *   WebCrypto, whose jobs run on libuv's thread pool, so concurrency can use a second core);
 * - raw ES256 verifications/s (what introspection of a JWT costs at least).
 * Each is the best of a few short rounds, to step around a stray GC or scheduler hiccup.
 */
import { generateKeyPairSync, randomUUID, sign, verify } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';

export interface Baselines {
  es256SignPerSecond: number;
  es256VerifyPerSecond: number;
  joseSignJwtPerSecond: number;
  joseSignJwtConcurrentPerSecond: number;
}

/** A signing input shaped like one of our access tokens (RFC 9068 claims, ~330 bytes). */
function signingInput(): Buffer {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'ES256', typ: 'at+jwt', kid: 'k_0123456789abcdef' };
  const payload = { iss: 'http://127.0.0.1:4400', sub: 'bench-cc', aud: 'https://api.example.com', client_id: 'bench-cc', scope: 'api:read', jti: randomUUID(), iat: now, exp: now + 300 };
  return Buffer.from(`${b64(header)}.${b64(payload)}`);
}

function rate(count: number, ms: number): number {
  return Math.round((count / ms) * 1000);
}

function bestOf(rounds: number, fn: () => number): number {
  let best = 0;
  for (let i = 0; i < rounds; i++) best = Math.max(best, fn());
  return best;
}

async function bestOfAsync(rounds: number, fn: () => Promise<number>): Promise<number> {
  let best = 0;
  for (let i = 0; i < rounds; i++) best = Math.max(best, await fn());
  return best;
}

export async function measureBaselines(roundMs = 500, rounds = 3): Promise<Baselines> {
  process.stderr.write('[bench] baselines: ES256 sign/verify (node:crypto), jose SignJWT\n');
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = signingInput();
  const opts = { key: privateKey, dsaEncoding: 'ieee-p1363' as const };
  const signature = sign('sha256', data, opts);

  const es256SignPerSecond = bestOf(rounds, () => {
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < roundMs) {
      for (let i = 0; i < 50; i++) sign('sha256', data, opts);
      n += 50;
    }
    return rate(n, performance.now() - t0);
  });

  const es256VerifyPerSecond = bestOf(rounds, () => {
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < roundMs) {
      for (let i = 0; i < 50; i++) verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
      n += 50;
    }
    return rate(n, performance.now() - t0);
  });

  const jose = await generateKeyPair('ES256');
  const kid = (await exportJWK(jose.publicKey)).x?.slice(0, 16) ?? 'k';
  const now = Math.floor(Date.now() / 1000);
  const oneJwt = () =>
    new SignJWT({ client_id: 'bench-cc', scope: 'api:read' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
      .setIssuer('http://127.0.0.1:4400')
      .setSubject('bench-cc')
      .setAudience('https://api.example.com')
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(jose.privateKey);

  const joseSignJwtPerSecond = await bestOfAsync(rounds, async () => {
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < roundMs) {
      await oneJwt();
      n++;
    }
    return rate(n, performance.now() - t0);
  });

  const joseSignJwtConcurrentPerSecond = await bestOfAsync(rounds, async () => {
    const t0 = performance.now();
    let n = 0;
    const worker = async () => {
      while (performance.now() - t0 < roundMs) {
        await oneJwt();
        n++;
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    return rate(n, performance.now() - t0);
  });

  return { es256SignPerSecond, es256VerifyPerSecond, joseSignJwtPerSecond, joseSignJwtConcurrentPerSecond };
}
