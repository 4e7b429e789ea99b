/**
 * private_key_jwt audience (RFC 7523 §3, draft-ietf-oauth-rfc7523bis "audience injection"): the
 * assertion's `aud` is ONE value naming this server — its issuer or its token endpoint URL, and at
 * the PAR endpoint also the PAR endpoint URL (RFC 9126 §2). An array naming another party next to
 * us is an assertion made for that party too; another endpoint's URL names that endpoint only.
 * Over real HTTP against a real ServerContext (src/clients/auth/private-key-jwt.ts,
 * src/checks/assertion-audience.ts).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { CLIENT_ASSERTION_TYPE_JWT_BEARER } from '@mandate/protocol';
import { postForm, startHarness, type Harness } from '../dpop/harness.ts';
import { CLIENT_AUTHENTICATION_FAILED } from '../../src/clients/auth/failure.ts';

const CLIENT = 'jwt-aud-app';
let h: Harness;
let privateKey: CryptoKey;

beforeAll(async () => {
  h = await startHarness();
  const pair = await generateKeyPair('ES256', { extractable: true });
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  await h.createClient({ clientId: CLIENT, tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [jwk as Record<string, unknown>] } });
});
afterAll(async () => {
  await h?.close();
});

const now = () => Math.floor(Date.now() / 1000);

function assertion(aud: unknown): Promise<string> {
  return new SignJWT({ iss: CLIENT, sub: CLIENT, aud: aud as string, jti: randomUUID(), iat: now(), exp: now() + 60 }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(privateKey);
}

async function authenticate(aud: unknown, path = '/token') {
  return postForm(h.url(path), { grant_type: 'client_credentials', token: 'x', client_assertion_type: CLIENT_ASSERTION_TYPE_JWT_BEARER, client_assertion: await assertion(aud) });
}

/** Refused like an unknown client (RFC 7521 §4.2.1 invalid_client), the precise reason in the audit row. */
async function expectRefused(aud: unknown, path: string, reason: RegExp): Promise<void> {
  const res = await authenticate(aud, path);
  expect(res.status).toBe(401);
  expect(res.body).toEqual({ error: 'invalid_client', error_description: CLIENT_AUTHENTICATION_FAILED });
  const rows = await h.ctx.storage.audit.list({ event: 'client_authentication', clientId: CLIENT, limit: 10_000 });
  expect(rows.at(-1)?.reason).toMatch(reason);
}

describe('draft-ietf-oauth-rfc7523bis / RFC 7523 §3 private_key_jwt: one audience naming this server', () => {
  it('accepts the issuer as a string or as a one-element array', async () => {
    expect((await authenticate(h.issuer)).status).toBe(200);
    expect((await authenticate([h.issuer])).status).toBe(200);
  });

  it('refuses an aud array naming another party next to ours (audience injection), at every endpoint', async () => {
    for (const path of ['/token', '/par', '/introspect', '/revoke']) {
      await expectRefused(['https://elsewhere.example', h.url('/token')], path, /"aud" must be a single value/);
      await expectRefused([h.issuer, 'https://attacker.example'], path, /"aud" must be a single value/);
    }
    await expectRefused(['https://elsewhere.example', h.url('/par')], '/par', /"aud" must be a single value/);
  });

  it('refuses an array of two of our own values: one value, not a list', async () => {
    await expectRefused([h.issuer, h.url('/token')], '/token', /"aud" must be a single value/);
  });

  it('RFC 9126 §2: the PAR endpoint URL names this server at the PAR endpoint only', async () => {
    expect((await authenticate(h.url('/par'), '/par')).status).toBe(200);
    await expectRefused(h.url('/par'), '/token', /"aud" must be this server's issuer identifier or its token endpoint URL/);
  });

  it.each(['/introspect', '/revoke'])('at %s: its own URL is refused, the issuer and the token endpoint URL accepted', async (path) => {
    await expectRefused(h.url(path), path, /"aud" must be this server's issuer identifier or its token endpoint URL/);
    expect((await authenticate(h.issuer, path)).status).toBe(200);
    expect((await authenticate(h.url('/token'), path)).status).toBe(200);
  });
});
