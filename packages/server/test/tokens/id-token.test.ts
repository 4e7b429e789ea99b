import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { Acr } from '@mandate/protocol';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { halfHash, signIdToken, type IdTokenInput } from '../../src/tokens/id-token.ts';
import { issueAccessToken } from '../../src/tokens/access-token.ts';
import { Paths } from '../../src/endpoints/paths.ts';
import type { ServerContext } from '../../src/context.ts';
import type { UserRecord } from '../../src/storage/records.ts';

/** OIDC Core §3.1.3.6, computed here independently of the server. */
function expectedHalfHash(value: string, hash: 'sha256' | 'sha512'): string {
  const digest = createHash(hash).update(value, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

const GRANT = 'grt_id_token_test';

/** The only way to an ID token (grants/shared/issue.ts does the same): signed, then released by storing its id_tokens row. */
async function recordedIdToken(ctx: ServerContext, input: IdTokenInput): Promise<string> {
  return (await signIdToken(ctx, input, GRANT)).store(ctx.storage);
}

function alice(now: number): UserRecord {
  return {
    id: 'usr_alice',
    email: 'alice@example.com',
    name: 'Alice Example',
    passwordHash: null,
    totpSecretEncrypted: null,
    isAdmin: false,
    disabled: false,
    createdAt: now - 100,
    updatedAt: now - 50,
  };
}

describe('OIDC Core §2 and §3.1.3.6: ID token claims (ES256)', () => {
  let ts: TestServer;
  let user: UserRecord;
  beforeAll(async () => {
    ts = await startTestServer();
    user = alice(ts.server.ctx.now());
    await ts.server.ctx.storage.users.create(user);
  });
  afterAll(async () => ts.close());

  async function verify(token: string) {
    return jwtVerify(token, createRemoteJWKSet(new URL(`${ts.issuer}${Paths.jwks}`)), { issuer: ts.issuer, audience: 'client-a', typ: 'JWT' });
  }

  it('carries iss, sub, aud = client_id, azp, exp, iat, auth_time, nonce, acr, amr, typ JWT', async () => {
    const ctx = ts.server.ctx;
    const authTime = ctx.now() - 20;
    const token = await recordedIdToken(ctx, { userId: 'usr_alice', clientId: 'client-a', nonce: 'n-0S6_WzA2Mj', authTime, acr: Acr.PasswordTotp, amr: ['pwd', 'otp'] });
    expect(decodeProtectedHeader(token)).toMatchObject({ typ: 'JWT', alg: 'ES256' });
    const { payload } = await verify(token);
    expect(payload).toMatchObject({
      iss: ts.issuer,
      sub: 'usr_alice',
      aud: 'client-a',
      azp: 'client-a',
      auth_time: authTime,
      nonce: 'n-0S6_WzA2Mj',
      acr: Acr.PasswordTotp,
      amr: ['pwd', 'otp'],
    });
    expect(payload.exp! - payload.iat!).toBe(ctx.config.ttl.idToken);
    expect(payload).not.toHaveProperty('at_hash');
    expect(payload).not.toHaveProperty('email');
  });

  it('at_hash is the left half of SHA-256 of the access token; c_hash likewise for the code', async () => {
    const ctx = ts.server.ctx;
    const access = await issueAccessToken(ctx, { subject: 'usr_alice', clientId: 'client-a', userId: 'usr_alice', grantId: null, scope: 'openid', audience: [] });
    const code = 'SplxlOBeZQQYbYS6WxSbIA';
    const token = await recordedIdToken(ctx, { userId: 'usr_alice', clientId: 'client-a', nonce: null, authTime: ctx.now(), accessToken: access.token, code });
    const { payload } = await verify(token);
    expect(payload.at_hash).toBe(expectedHalfHash(access.token, 'sha256'));
    expect(payload.c_hash).toBe(expectedHalfHash(code, 'sha256'));
    expect(payload.at_hash).toHaveLength(22);
    // No nonce was sent, so none is returned (§3.1.3.6 only echoes a request's nonce).
    expect(payload).not.toHaveProperty('nonce');
  });

  it('adds the user claims the granted scope releases (§5.4), never overriding protocol claims', async () => {
    const ctx = ts.server.ctx;
    const token = await recordedIdToken(ctx, {
      userId: 'usr_alice',
      clientId: 'client-a',
      authTime: ctx.now(),
      scope: 'openid email profile',
      claims: { iss: 'https://evil.example.test', aud: 'client-b', nonce: 'forged', locale: 'en' },
    });
    const { payload } = await verify(token);
    expect(payload).toMatchObject({ sub: 'usr_alice', email: 'alice@example.com', email_verified: false, name: 'Alice Example', updated_at: user.updatedAt, locale: 'en' });
    expect(payload.iss).toBe(ts.issuer);
    expect(payload.aud).toBe('client-a');
    expect(payload).not.toHaveProperty('nonce');
  });

  it('CO-1: the token is released only by storing its id_tokens row, which names its jti, grant, client, user and exp', async () => {
    const ctx = ts.server.ctx;
    const signed = await signIdToken(ctx, { userId: 'usr_alice', clientId: 'client-a', authTime: ctx.now() }, GRANT);
    expect(await ctx.storage.idTokens.get(signed.jti)).toBeNull();
    // Nothing readable on the signed object is a token: no JWS in its own properties or its JSON form.
    expect(JSON.stringify(signed)).not.toMatch(/ey[\w-]+\.ey[\w-]+\./);
    expect(Object.values(signed).some((v) => typeof v === 'string')).toBe(false);
    const token = await signed.store(ctx.storage);
    const { payload } = await verify(token);
    expect(payload.jti).toBe(signed.jti);
    expect(await ctx.storage.idTokens.get(signed.jti)).toEqual({ jti: signed.jti, grantId: GRANT, clientId: 'client-a', userId: 'usr_alice', expiresAt: payload.exp, createdAt: payload.iat });
  });

  it('with only openid in scope, no email or profile claims', async () => {
    const ctx = ts.server.ctx;
    const { payload } = await verify(await recordedIdToken(ctx, { userId: 'usr_alice', clientId: 'client-a', authTime: ctx.now(), scope: 'openid' }));
    for (const name of ['email', 'email_verified', 'name', 'updated_at']) expect(payload).not.toHaveProperty(name);
  });
});

describe('OIDC Core §3.1.3.6 (errata set 2): at_hash follows the signing algorithm', () => {
  it('EdDSA (Ed25519) ID tokens hash with SHA-512', async () => {
    const ts = await startTestServer({ signingAlg: 'EdDSA' });
    try {
      const ctx = ts.server.ctx;
      const token = await recordedIdToken(ctx, { userId: 'usr_x', clientId: 'client-a', authTime: ctx.now(), accessToken: 'opaque-or-jwt-token' });
      expect(decodeProtectedHeader(token).alg).toBe('EdDSA');
      const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${ts.issuer}${Paths.jwks}`)), { issuer: ts.issuer, audience: 'client-a' });
      expect(payload.at_hash).toBe(expectedHalfHash('opaque-or-jwt-token', 'sha512'));
      expect(payload.at_hash).toHaveLength(43);
    } finally {
      await ts.close();
    }
  });

  it('RS256 and ES256 use SHA-256', () => {
    for (const alg of ['RS256', 'ES256']) expect(halfHash('abc', alg)).toBe(expectedHalfHash('abc', 'sha256'));
  });
});
