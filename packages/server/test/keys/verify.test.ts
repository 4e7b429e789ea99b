import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportSPKI, generateKeyPair, importJWK, SignJWT, UnsecuredJWT } from 'jose';
import { InvalidTokenError } from '@mandate/protocol';
import type { SigningKeys } from '../../src/context.ts';
import { openKeyFixture, ISSUER, type KeyFixture } from './fixture.ts';

/**
 * verify() is what introspection, userinfo and the admin API trust: it must accept only tokens
 * this server signed with a published key, under its issuer, unexpired, of the expected type.
 */
for (const alg of ['ES256', 'RS256'] as const) {
  describe(`RFC 8725 §3.1–§3.2 and RFC 7519 §7.2: verify() refuses what this server did not issue (${alg})`, () => {
    let fx: KeyFixture;
    let keys: SigningKeys;
    let kid: string;
    const claims = () => ({ sub: 'u1', iat: fx.clock.t, exp: fx.clock.t + 60, aud: 'https://rs.example.test' });

    beforeAll(async () => {
      fx = await openKeyFixture('sqlite');
      keys = await fx.keys(alg);
      kid = (await keys.jwks()).keys[0]!.kid!;
    });
    afterAll(async () => fx.close());

    async function expectRefused(token: string, options: { typ?: string; audience?: string } = {}): Promise<InvalidTokenError> {
      const err = await keys.verify(token, options).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(InvalidTokenError);
      expect((err as InvalidTokenError).status).toBe(401);
      return err as InvalidTokenError;
    }

    it('accepts its own token with the expected typ and audience', async () => {
      const token = await keys.sign(claims(), { typ: 'at+jwt' });
      await expect(keys.verify(token, { typ: 'at+jwt', audience: 'https://rs.example.test' })).resolves.toMatchObject({ payload: { iss: ISSUER } });
    });

    it('refuses alg "none" (RFC 8725 §3.1), even carrying our kid', async () => {
      const unsecured = new UnsecuredJWT({ ...claims(), iss: ISSUER }).encode();
      const [, payload] = unsecured.split('.');
      const header = Buffer.from(JSON.stringify({ alg: 'none', kid, typ: 'at+jwt' })).toString('base64url');
      await expectRefused(unsecured);
      await expectRefused(`${header}.${payload}.`);
    });

    it('refuses HS256 signed with the public key bytes as the HMAC secret (RFC 8725 §2.1 key confusion)', async () => {
      const jwk = (await keys.jwks()).keys[0]!;
      const publicKey = await importJWK(jwk, alg, { extractable: true });
      const pem = await exportSPKI(publicKey as CryptoKey);
      for (const secret of [pem, JSON.stringify(jwk)]) {
        const token = await new SignJWT({ ...claims(), iss: ISSUER })
          .setProtectedHeader({ alg: 'HS256', kid, typ: 'at+jwt' })
          .sign(new TextEncoder().encode(secret));
        const err = await expectRefused(token);
        expect(err.detail).toMatch(/ALG_NOT_ALLOWED|NO_MATCHING_KEY|NOT_SUPPORTED/);
      }
    });

    it('refuses a token signed by a foreign key, whether it claims our kid or its own', async () => {
      const foreign = await generateKeyPair(alg);
      for (const header of [{ alg, kid, typ: 'at+jwt' }, { alg, kid: 'someone-else', typ: 'at+jwt' }, { alg, typ: 'at+jwt' }]) {
        const token = await new SignJWT({ ...claims(), iss: ISSUER }).setProtectedHeader(header).sign(foreign.privateKey);
        await expectRefused(token);
      }
    });

    it('refuses another issuer (RFC 7519 §4.1.1)', async () => {
      const token = await keys.sign({ ...claims(), iss: 'https://evil.example.test' }, { typ: 'at+jwt' });
      const err = await expectRefused(token);
      expect(err.detail).toContain('iss');
    });

    it('refuses an expired token (RFC 7519 §4.1.4) and one without exp', async () => {
      const token = await keys.sign({ ...claims(), exp: fx.clock.t + 10 }, { typ: 'at+jwt' });
      const noExp = await keys.sign({ sub: 'u1', iat: fx.clock.t }, { typ: 'at+jwt' });
      await expectRefused(noExp);
      fx.clock.t += 11;
      try {
        const err = await expectRefused(token);
        expect(err.detail).toMatch(/^ERR_JWT_EXPIRED/);
        expect(err.description).toBe('The token has expired.');
      } finally {
        fx.clock.t -= 11;
      }
    });

    it('refuses the wrong typ when one is expected (RFC 8725 §3.11: no cross-JWT confusion)', async () => {
      const idToken = await keys.sign(claims(), { typ: 'JWT' });
      const err = await expectRefused(idToken, { typ: 'at+jwt' });
      expect(err.detail).toContain('typ');
      await expect(keys.verify(idToken, { typ: 'JWT' })).resolves.toBeTruthy();
    });

    it('refuses a token for another audience (RFC 7519 §4.1.3)', async () => {
      const token = await keys.sign(claims(), { typ: 'at+jwt' });
      const err = await expectRefused(token, { audience: 'https://other-rs.example.test' });
      expect(err.detail).toContain('aud');
    });

    it('refuses garbage and a tampered payload', async () => {
      const token = await keys.sign(claims(), { typ: 'at+jwt' });
      const [h, , s] = token.split('.');
      const forged = Buffer.from(JSON.stringify({ ...claims(), iss: ISSUER, sub: 'admin' })).toString('base64url');
      await expectRefused(`${h}.${forged}.${s}`);
      for (const junk of ['', 'a.b.c', 'not a jwt', `${h}..`, '....']) await expectRefused(junk);
    });
  });
}
