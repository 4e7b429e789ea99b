import { afterEach, describe, expect, it } from 'vitest';
import { decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { KEY_RELOAD_INTERVAL } from '../../src/keys/rotation.ts';
import { UNKNOWN_KID_RELOAD_INTERVAL } from '../../src/keys/signing-keys.ts';
import { countingListReads, openKeyFixture, ISSUER, type Backend, type KeyFixture } from './fixture.ts';

let fx: KeyFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

/** Two instances share one database; one of them rotates. */
describe.each<Backend>(['sqlite', 'postgres'])('Signing keys shared by several instances (%s)', (backend) => {
  it('an instance verifies a token signed with a key another instance just created (reload on unknown kid)', async () => {
    fx = await openKeyFixture(backend);
    const a = await fx.keys();
    const b = await fx.keys();
    const rotated = await a.rotate();
    const token = await a.sign({ sub: 'u1', iat: fx.clock.t, exp: fx.clock.t + 60 }, { typ: 'at+jwt' });
    expect(decodeProtectedHeader(token).kid).toBe(rotated.kid);
    await expect(b.verify(token, { typ: 'at+jwt' })).resolves.toMatchObject({ payload: { sub: 'u1' } });
    expect((await b.jwks()).keys.map((k) => k.kid)).toContain(rotated.kid);
  });

  it('an instance accepts tokens of an algorithm another instance was just configured with (rolling alg change)', async () => {
    fx = await openKeyFixture(backend);
    const es = await fx.keys('ES256');
    const rs = await fx.keys('RS256');
    const token = await rs.sign({ sub: 'u1', iat: fx.clock.t, exp: fx.clock.t + 60 }, { typ: 'at+jwt' });
    expect(es.algorithms()).toEqual(['ES256']);
    await expect(es.verify(token, { typ: 'at+jwt' })).resolves.toMatchObject({ protectedHeader: { alg: 'RS256' } });
    expect(es.algorithms()).toEqual(['ES256', 'RS256']);
    // It keeps signing with its own configured algorithm.
    expect(decodeProtectedHeader(await es.sign({ sub: 'u2', iat: fx.clock.t, exp: fx.clock.t + 60 }, { typ: 'JWT' })).alg).toBe('ES256');
  });

  it('unknown kids trigger at most one key table read per interval, so forged kids cannot flood storage', async () => {
    fx = await openKeyFixture(backend);
    const a = await fx.keys();
    const counted = countingListReads(fx.storage);
    const b = await fx.keys('ES256', counted.storage);
    const foreign = await generateKeyPair('ES256');
    const forge = (kid: string) =>
      new SignJWT({ sub: 'x', iss: ISSUER, iat: fx!.clock.t, exp: fx!.clock.t + 60 }).setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' }).sign(foreign.privateKey);

    const before = counted.reads();
    await expect(b.verify(await forge('kid-1'), {})).rejects.toMatchObject({ error: 'invalid_token' });
    expect(counted.reads()).toBe(before + 1);
    for (let i = 2; i < 20; i++) await expect(b.verify(await forge(`kid-${i}`), {})).rejects.toMatchObject({ error: 'invalid_token' });
    expect(counted.reads()).toBe(before + 1);

    // Within the interval even a genuine new key is not looked up again...
    const rotated = await a.rotate();
    const genuine = await a.sign({ sub: 'u1', iat: fx.clock.t, exp: fx.clock.t + 600 }, { typ: 'at+jwt' });
    await expect(b.verify(genuine, {})).rejects.toMatchObject({ error: 'invalid_token' });
    // ...and once it has passed, the next unknown kid reads the table and finds it.
    fx.clock.t += UNKNOWN_KID_RELOAD_INTERVAL;
    await expect(b.verify(genuine, {})).resolves.toMatchObject({ protectedHeader: { kid: rotated.kid } });
    expect(counted.reads()).toBe(before + 2);
  });

  it('an instance switches to the key another instance rotated to within the reload interval', async () => {
    fx = await openKeyFixture(backend);
    const a = await fx.keys();
    const b = await fx.keys();
    const oldKid = (await b.jwks()).keys[0]!.kid;
    const rotated = await a.rotate();
    const claims = () => ({ sub: 'u1', iat: fx!.clock.t, exp: fx!.clock.t + 60 });

    // Before the interval, b still signs with the key it knows (retired, but published for this).
    expect(decodeProtectedHeader(await b.sign(claims(), { typ: 'JWT' })).kid).toBe(oldKid);
    fx.clock.t += KEY_RELOAD_INTERVAL;
    // The first signature after the interval starts a background reload; later ones use the new key.
    let kid = decodeProtectedHeader(await b.sign(claims(), { typ: 'JWT' })).kid;
    for (let i = 0; i < 300 && kid !== rotated.kid; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      kid = decodeProtectedHeader(await b.sign(claims(), { typ: 'JWT' })).kid;
    }
    expect(kid).toBe(rotated.kid);
    // Both keys stay published on b, so tokens signed by either instance verify everywhere.
    expect((await b.jwks()).keys.map((k) => k.kid)).toEqual([rotated.kid, oldKid]);
  });
});

describe('Signing keys: verification inside a SQLite transaction', () => {
  it('an unknown-kid reload cannot deadlock a caller holding the only connection; the key is known afterwards', async () => {
    fx = await openKeyFixture('sqlite');
    const a = await fx.keys();
    const b = await fx.keys();
    await a.rotate();
    const token = await a.sign({ sub: 'u1', iat: fx.clock.t, exp: fx.clock.t + 60 }, { typ: 'at+jwt' });
    // Inside the transaction the key table cannot be read, so b answers with the keys it has.
    const inside = await fx.storage.transaction(async () => b.verify(token, {}).then(() => 'accepted', () => 'refused'));
    expect(inside).toBe('refused');
    // The reload completed once the transaction ended.
    await expect(b.verify(token, {})).resolves.toMatchObject({ payload: { sub: 'u1' } });
  });
});
