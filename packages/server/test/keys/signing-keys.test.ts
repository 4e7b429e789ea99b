import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { calculateJwkThumbprint, decodeProtectedHeader, jwtVerify, createLocalJWKSet } from 'jose';
import { generateSigningKey, SIGNING_KEY_PURPOSE } from '../../src/keys/key-material.ts';
import { createSigningKeys } from '../../src/keys/signing-keys.ts';
import { Envelope } from '../../src/crypto/envelope.ts';
import { openKeyFixture, ISSUER, MAX_TOKEN_TTL, type Backend, type KeyFixture } from './fixture.ts';

let fx: KeyFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

describe.each<Backend>(['sqlite', 'postgres'])('RFC 7517 signing keys stored encrypted (%s)', (backend) => {
  it('creates exactly one active ES256 key by default, named by its RFC 7638 thumbprint', async () => {
    fx = await openKeyFixture(backend);
    const keys = await fx.keys();
    const records = await fx.storage.signingKeys.list();
    expect(records).toHaveLength(1);
    const [record] = records;
    expect(record?.status).toBe('active');
    expect(record?.alg).toBe('ES256');
    const { keys: published } = await keys.jwks();
    expect(published).toHaveLength(1);
    expect(published[0]?.kid).toBe(record?.kid);
    expect(await calculateJwkThumbprint(published[0]!, 'sha256')).toBe(record?.kid);
  });

  it('stores the private JWK as a compact JWE bound to its purpose, never in the clear', async () => {
    fx = await openKeyFixture(backend);
    await fx.keys();
    const [record] = await fx.storage.signingKeys.list();
    const parts = record!.privateJwkEncrypted.split('.');
    expect(parts).toHaveLength(5);
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(header).toMatchObject({ alg: 'dir', enc: 'A256GCM', purpose: SIGNING_KEY_PURPOSE });
    expect(record!.publicJwk).not.toHaveProperty('d');
    const privateJwk = JSON.parse(await fx.envelope.decrypt(record!.privateJwkEncrypted, SIGNING_KEY_PURPOSE)) as { d: string; kid: string };
    expect(privateJwk.kid).toBe(record!.kid);
    expect(typeof privateJwk.d).toBe('string');
    // The ciphertext is bound to its purpose: it cannot be opened as, say, a TOTP secret.
    await expect(fx.envelope.decrypt(record!.privateJwkEncrypted, 'totp-secret')).rejects.toThrow();
  });

  it('a second instance on the same storage reuses the active key instead of minting another', async () => {
    fx = await openKeyFixture(backend);
    const first = await fx.keys();
    const second = await fx.keys();
    expect(await fx.storage.signingKeys.list()).toHaveLength(1);
    const token = await first.sign({ sub: 'u1', exp: fx.clock.t + 60, iat: fx.clock.t }, { typ: 'JWT' });
    await expect(second.verify(token, {})).resolves.toBeTruthy();
    expect((await second.jwks()).keys[0]?.kid).toBe((await first.jwks()).keys[0]?.kid);
  });

  it('two active keys (instances started together) are settled: the newest stays active, the other is retired but published', async () => {
    fx = await openKeyFixture(backend);
    const older = await generateSigningKey('ES256', fx.envelope, fx.clock.t - 10);
    const newer = await generateSigningKey('ES256', fx.envelope, fx.clock.t - 5);
    await fx.storage.signingKeys.create(older.record);
    await fx.storage.signingKeys.create(newer.record);
    const keys = await fx.keys();
    const records = await fx.storage.signingKeys.list();
    expect(records.filter((r) => r.status === 'active').map((r) => r.kid)).toEqual([newer.record.kid]);
    expect(records.find((r) => r.kid === older.record.kid)).toMatchObject({ status: 'retired', retiredAt: fx.clock.t });
    const token = await keys.sign({ sub: 'u1', exp: fx.clock.t + 60, iat: fx.clock.t }, { typ: 'JWT' });
    expect(decodeProtectedHeader(token).kid).toBe(newer.record.kid);
    expect((await keys.jwks()).keys.map((k) => k.kid)).toEqual([newer.record.kid, older.record.kid]);
  });
});

describe('RFC 7517 signing keys: no private member readable in the database file', () => {
  it('the SQLite rows hold the private key only inside the JWE', async () => {
    fx = await openKeyFixture('sqlite');
    await fx.keys('RS256');
    const [record] = await fx.storage.signingKeys.list();
    const privateJwk = JSON.parse(await fx.envelope.decrypt(record!.privateJwkEncrypted, SIGNING_KEY_PURPOSE)) as Record<string, string>;
    const db = new Database(fx.sqlitePath!, { readonly: true });
    try {
      const tables = db.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[];
      const dump = tables.map((t) => JSON.stringify(db.prepare(`select * from "${t.name}"`).all())).join('\n');
      expect(dump).toContain(record!.kid);
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) {
        expect(privateJwk[member]).toBeTypeOf('string');
        expect(dump).not.toContain(privateJwk[member]);
      }
      expect(dump).not.toMatch(/"d"\s*:/);
    } finally {
      db.close();
    }
  });
});

describe('Signing algorithm selection: ES256 (default), EdDSA, RS256', () => {
  const expected = {
    ES256: { kty: 'EC', crv: 'P-256' },
    EdDSA: { kty: 'OKP', crv: 'Ed25519' },
    RS256: { kty: 'RSA' },
  } as const;

  for (const alg of ['ES256', 'EdDSA', 'RS256'] as const) {
    it(`${alg}: publishes a public ${expected[alg].kty} key and signs with header {alg, kid, typ}`, async () => {
      fx = await openKeyFixture('sqlite');
      const keys = await fx.keys(alg);
      const { keys: jwks } = await keys.jwks();
      expect(jwks).toHaveLength(1);
      const jwk = jwks[0]!;
      expect(jwk).toMatchObject({ ...expected[alg], alg, use: 'sig' });
      expect(Object.keys(jwk).sort()).toEqual([...Object.keys(expected[alg]), 'alg', 'use', 'kid', ...publicMembers(alg)].sort());
      expect(keys.algorithms()).toEqual([alg]);

      const token = await keys.sign({ sub: 'u1', iat: fx.clock.t, exp: fx.clock.t + 60 }, { typ: 'at+jwt' });
      expect(decodeProtectedHeader(token)).toEqual({ alg, kid: jwk.kid, typ: 'at+jwt' });
      // An independent verifier with only the published JWKS accepts it, and `iss` was filled in.
      const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: jwks }), { issuer: ISSUER, currentDate: new Date(fx.clock.t * 1000) });
      expect(payload).toMatchObject({ iss: ISSUER, sub: 'u1' });
      await expect(keys.verify(token, { typ: 'at+jwt' })).resolves.toMatchObject({ payload: { sub: 'u1' } });
    });
  }
});

function publicMembers(alg: 'ES256' | 'EdDSA' | 'RS256'): string[] {
  if (alg === 'ES256') return ['x', 'y'];
  if (alg === 'EdDSA') return ['x'];
  return ['n', 'e'];
}

describe('Signing keys at rest: the secret key matters', () => {
  it('refuses to start with another MANDATE_SECRET_KEY than the one the keys were stored with, saying so', async () => {
    fx = await openKeyFixture('sqlite');
    await fx.keys();
    const otherEnvelope = new Envelope(randomBytes(32).toString('base64url'));
    await expect(
      createSigningKeys({ storage: fx.storage, envelope: otherEnvelope, issuer: ISSUER, alg: 'ES256', now: fx.clock.now, maxTokenTtl: MAX_TOKEN_TTL }),
    ).rejects.toThrow(/MANDATE_SECRET_KEY/);
    // Nothing was replaced: the stored key is still the only one.
    expect(await fx.storage.signingKeys.list()).toHaveLength(1);
  });
});
