import { afterEach, describe, expect, it } from 'vitest';
import { decodeProtectedHeader } from 'jose';
import { KEY_RELOAD_INTERVAL } from '../../src/keys/rotation.ts';
import { openKeyFixture, MAX_TOKEN_TTL, type Backend, type KeyFixture } from './fixture.ts';

let fx: KeyFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

/** A retired key's publication ends after its last token expired, plus the reload slack of other instances. */
const OVERLAP = MAX_TOKEN_TTL + KEY_RELOAD_INTERVAL;

describe.each<Backend>(['sqlite', 'postgres'])('Key rotation with overlap: a retired key stays published until its last token expires (%s)', (backend) => {
  it('rotate() makes a new active key; the previous one is retired, still published and still verifies its tokens', async () => {
    fx = await openKeyFixture(backend);
    const keys = await fx.keys();
    const oldKid = (await keys.jwks()).keys[0]!.kid!;
    const oldToken = await keys.sign({ sub: 'u1', iat: fx.clock.t, exp: fx.clock.t + MAX_TOKEN_TTL }, { typ: 'at+jwt' });

    fx.clock.t += 30;
    const rotatedAt = fx.clock.t;
    const created = await keys.rotate();
    expect(created.status).toBe('active');
    expect(created.kid).not.toBe(oldKid);

    const records = await fx.storage.signingKeys.list();
    expect(records.find((r) => r.kid === oldKid)).toMatchObject({ status: 'retired', retiredAt: rotatedAt, publishUntil: rotatedAt + OVERLAP });
    expect(records.filter((r) => r.status === 'active').map((r) => r.kid)).toEqual([created.kid]);
    expect((await keys.jwks()).keys.map((k) => k.kid)).toEqual([created.kid, oldKid]);

    const newToken = await keys.sign({ sub: 'u2', iat: fx.clock.t, exp: fx.clock.t + 60 }, { typ: 'at+jwt' });
    expect(decodeProtectedHeader(newToken).kid).toBe(created.kid);
    await expect(keys.verify(oldToken, { typ: 'at+jwt' })).resolves.toMatchObject({ payload: { sub: 'u1' } });
    await expect(keys.verify(newToken, { typ: 'at+jwt' })).resolves.toMatchObject({ payload: { sub: 'u2' } });
  });

  it('once publishUntil has passed the retired key leaves the JWKS, its tokens stop verifying, and the row is purged', async () => {
    fx = await openKeyFixture(backend);
    const keys = await fx.keys();
    const oldKid = (await keys.jwks()).keys[0]!.kid!;
    // A token that (wrongly) outlives publication proves the key itself is no longer trusted.
    const longToken = await keys.sign({ sub: 'u1', iat: fx.clock.t, exp: fx.clock.t + 10 * OVERLAP }, { typ: 'JWT' });
    await keys.rotate();
    const retiredUntil = fx.clock.t + OVERLAP;

    fx.clock.t = retiredUntil - 1;
    expect((await keys.jwks()).keys.map((k) => k.kid)).toContain(oldKid);
    await expect(keys.verify(longToken, {})).resolves.toBeTruthy();

    fx.clock.t = retiredUntil;
    expect((await keys.jwks()).keys.map((k) => k.kid)).not.toContain(oldKid);
    await expect(keys.verify(longToken, {})).rejects.toMatchObject({ error: 'invalid_token' });

    // The next lifecycle step (a rotation or an instance start) purges it from storage.
    await fx.keys();
    expect((await fx.storage.signingKeys.list()).map((r) => r.kid)).not.toContain(oldKid);
  });

  it('a changed signingAlg rotates at start; tokens of the old algorithm keep verifying during the overlap', async () => {
    fx = await openKeyFixture(backend);
    const es = await fx.keys('ES256');
    const esToken = await es.sign({ sub: 'u1', iat: fx.clock.t, exp: fx.clock.t + 60 }, { typ: 'JWT' });

    const rs = await fx.keys('RS256');
    const records = await fx.storage.signingKeys.list();
    expect(records.filter((r) => r.status === 'active').map((r) => r.alg)).toEqual(['RS256']);
    expect(records.filter((r) => r.status === 'retired').map((r) => r.alg)).toEqual(['ES256']);
    expect(rs.algorithms()).toEqual(['RS256', 'ES256']);

    const rsToken = await rs.sign({ sub: 'u2', iat: fx.clock.t, exp: fx.clock.t + 60 }, { typ: 'JWT' });
    expect(decodeProtectedHeader(rsToken).alg).toBe('RS256');
    await expect(rs.verify(esToken, {})).resolves.toMatchObject({ protectedHeader: { alg: 'ES256' } });

    fx.clock.t += OVERLAP;
    expect(rs.algorithms()).toEqual(['RS256']);
    expect((await rs.jwks()).keys.map((k) => k.kty)).toEqual(['RSA']);
  });
});
