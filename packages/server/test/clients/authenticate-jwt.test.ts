/**
 * private_key_jwt (RFC 7523 §2.2, §3; OIDC Core §9) over real HTTP: keys by value, keys at a
 * jwks_uri, and a Client ID Metadata Document client, against a real ServerContext.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import { CLIENT_ASSERTION_TYPE_JWT_BEARER } from '@mandate/protocol';
import { freePort, postForm, startHarness, type Harness } from '../dpop/harness.ts';
import { CLIENT_AUTHENTICATION_FAILED } from '../../src/clients/auth/failure.ts';

interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(alg = 'ES256', kid = randomUUID()): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

const now = () => Math.floor(Date.now() / 1000);

let h: Harness;
let site: Server;
let siteOrigin: string;
let key: SigningKey;
let remoteKey: SigningKey;
let cimdKey: SigningKey;
let cimdClientId: string;
/** One RSA key pair, usable for RS256 and PS256; its client registered token_endpoint_auth_signing_alg PS256. */
let rsaPs256: SigningKey;
let rsaRs256: SigningKey;

function assertion(k: SigningKey, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, clientId = 'jwt-app'): Promise<string> {
  const payload: Record<string, unknown> = { iss: clientId, sub: clientId, aud: h.issuer, jti: randomUUID(), iat: now(), exp: now() + 60, ...claims };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  return new SignJWT(payload).setProtectedHeader({ alg: k.alg, kid: k.kid, ...header } as { alg: string }).sign(k.privateKey);
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

function authenticate(clientAssertion: string, path = '/token', extra: Record<string, string> = {}) {
  return postForm(h.url(path), { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE_JWT_BEARER, client_assertion: clientAssertion, ...extra });
}

/** The reason of the last failed client authentication audited for this client id. */
async function lastAuditedReason(clientId: string): Promise<string | null | undefined> {
  const rows = await h.ctx.storage.audit.list({ event: 'client_authentication', clientId, limit: 10_000 });
  return rows.at(-1)?.reason;
}

/**
 * Refused once the client was found: the client sees only the generic description (as for an
 * unknown client), the audit row keeps the precise reason.
 */
async function expectRefused(clientAssertion: string, reason: RegExp, extra: Record<string, string> = {}, clientId = 'jwt-app'): Promise<void> {
  const res = await authenticate(clientAssertion, '/token', extra);
  expect(res.status).toBe(401);
  expect(res.body).toEqual({ error: 'invalid_client', error_description: CLIENT_AUTHENTICATION_FAILED });
  expect(await lastAuditedReason(clientId)).toMatch(reason);
}

/** Refused before any client is looked up (the same answer for every client id): the precise description. */
async function expectMalformed(clientAssertion: string, description: RegExp, extra: Record<string, string> = {}): Promise<void> {
  const res = await authenticate(clientAssertion, '/token', extra);
  expect(res.status).toBe(401);
  expect(res.body.error).toBe('invalid_client');
  expect(res.body.error_description).toMatch(description);
}

/** The whole answer to a request, minus what differs between any two requests. */
async function answer(clientAssertion: string): Promise<{ status: number; body: unknown; challenge: string | null }> {
  const res = await authenticate(clientAssertion);
  return { status: res.status, body: res.body, challenge: res.headers.get('www-authenticate') };
}

beforeAll(async () => {
  // The client's own web site on loopback: its JWKS and its Client ID Metadata Document.
  const sitePort = await freePort();
  siteOrigin = `http://127.0.0.1:${sitePort}`;
  h = await startHarness({ cimd: { devAllowedHosts: [`127.0.0.1:${sitePort}`] } });
  key = await signingKey();
  remoteKey = await signingKey('RS256');
  cimdKey = await signingKey('EdDSA');
  cimdClientId = `${siteOrigin}/client.json`;
  const documents: Record<string, unknown> = {
    '/jwks.json': { keys: [remoteKey.jwk] },
    '/cimd-jwks.json': { keys: [cimdKey.jwk] },
    '/client.json': {
      client_id: cimdClientId,
      client_name: 'Loopback CIMD agent',
      redirect_uris: ['http://127.0.0.1:9999/callback'],
      grant_types: ['client_credentials'],
      response_types: [],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: `${siteOrigin}/cimd-jwks.json`,
    },
  };
  site = createServer((req, res) => {
    const doc = documents[req.url ?? ''];
    res.writeHead(doc ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(doc ?? {}));
  });
  await new Promise<void>((resolve) => site.listen(sitePort, '127.0.0.1', resolve));

  const other = await signingKey();
  await h.createClient({ clientId: 'jwt-app', tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [other.jwk, key.jwk] as Record<string, unknown>[] } });
  await h.createClient({ clientId: 'jwt-remote', tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: `${siteOrigin}/jwks.json` });
  await h.createClient({ clientId: 'jwt-dead-uri', tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: `${siteOrigin}/missing.json` });
  await h.createClient({ clientId: 'jwt-nokid', tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [{ ...other.jwk, kid: undefined }, { ...key.jwk, kid: undefined }] as Record<string, unknown>[] } });
  rsaPs256 = await signingKey('PS256');
  const { alg: _alg, ...rsaPublicJwk } = rsaPs256.jwk; // no "alg" on the key: only the registration restricts it
  const rsaPrivateJwk = await exportJWK(rsaPs256.privateKey);
  rsaRs256 = { ...rsaPs256, alg: 'RS256', privateKey: (await importJWK(rsaPrivateJwk, 'RS256')) as CryptoKey };
  await h.createClient({
    clientId: 'jwt-ps256',
    tokenEndpointAuthMethod: 'private_key_jwt',
    jwks: { keys: [rsaPublicJwk] as Record<string, unknown>[] },
    metadata: { token_endpoint_auth_signing_alg: 'PS256' },
  });
  await h.createClient({ clientId: 'jwt-rsa-any', tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [rsaPublicJwk] as Record<string, unknown>[] } });
  await h.createClient({ clientId: 'jwt-no-keys', tokenEndpointAuthMethod: 'private_key_jwt' });
  await h.createClient({ clientId: 'basic-app', secret: 'basic-secret-Zr8Qk2mV9xW4pL7nT1yB6cH3jD5fG0aS', tokenEndpointAuthMethod: 'client_secret_basic' });
});
afterAll(async () => {
  await h?.close();
  await new Promise<void>((resolve) => (site ? site.close(() => resolve()) : resolve()));
});

describe('RFC 7523 §3 private_key_jwt: accepted assertions', () => {
  it('accepts aud = the issuer identifier', async () => {
    const res = await authenticate(await assertion(key));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ client_id: 'jwt-app', method: 'private_key_jwt' });
  });

  // An array with another party next to ours is refused (audience injection): authenticate-jwt-audience.test.ts.
  it('accepts aud = the token endpoint URL (OIDC Core §9), also as a one-element array', async () => {
    expect((await authenticate(await assertion(key, { aud: h.url('/token') }))).status).toBe(200);
    expect((await authenticate(await assertion(key, { aud: [h.url('/token')] }))).status).toBe(200);
  });

  it('accepts aud = the PAR endpoint URL at the PAR endpoint (RFC 9126 §2), as well as the token endpoint there', async () => {
    expect((await authenticate(await assertion(key, { aud: h.url('/par') }), '/par', { token: 'x' })).status).toBe(200);
    expect((await authenticate(await assertion(key, { aud: h.url('/token') }), '/par', { token: 'x' })).status).toBe(200);
  });

  // Their own URLs are refused there (draft-ietf-oauth-rfc7523bis): authenticate-jwt-audience.test.ts.
  it.each(['/introspect', '/revoke'])('accepts aud = the token endpoint URL at %s', async (path) => {
    expect((await authenticate(await assertion(key, { aud: h.url('/token') }), path, { token: 'x' })).status).toBe(200);
  });

  it('accepts a matching client_id parameter', async () => {
    expect((await authenticate(await assertion(key), '/token', { client_id: 'jwt-app' })).status).toBe(200);
  });

  it('tries every registered key when the assertion has no kid and several keys fit', async () => {
    const res = await authenticate(await assertion(key, {}, { kid: undefined }, 'jwt-nokid'));
    expect(res.status).toBe(200);
  });

  it('fetches keys from jwks_uri (SSRF-safe fetch, development allowance for loopback)', async () => {
    const res = await authenticate(await assertion(remoteKey, {}, {}, 'jwt-remote'));
    expect(res.status).toBe(200);
    expect(res.body.client_id).toBe('jwt-remote');
  });

  it('authenticates a Client ID Metadata Document client against the keys its document names', async () => {
    const res = await authenticate(await assertion(cimdKey, {}, {}, cimdClientId));
    expect(res.status).toBe(200);
    expect(res.body.client_id).toBe(cimdClientId);
  });
});

describe('RFC 7523 §3 private_key_jwt: refused assertions (RFC 7521 §4.2.1 invalid_client)', () => {
  it('refuses a wrong audience', async () => {
    await expectRefused(await assertion(key, { aud: 'https://other.example' }), /"aud" must be/);
    await expectRefused(await assertion(key, { aud: h.url('/par') }), /"aud" must be/);
  });

  it('refuses an expired assertion', async () => {
    await expectRefused(await assertion(key, { iat: now() - 600, exp: now() - 120 }), /expired/);
  });

  it('refuses an assertion valid for too long', async () => {
    await expectRefused(await assertion(key, { exp: now() + 3600 }), /more than 600 seconds in the future/);
  });

  it('refuses an iat in the future', async () => {
    await expectRefused(await assertion(key, { iat: now() + 300 }), /"iat" is in the future/);
  });

  it.each(['exp', 'jti', 'aud'])('refuses an assertion without %s', async (claim) => {
    await expectRefused(await assertion(key, { [claim]: undefined }), new RegExp(`"${claim}"`));
  });

  it('refuses a replayed jti', async () => {
    const once = await assertion(key);
    expect((await authenticate(once)).status).toBe(200);
    await expectRefused(once, /already been used/);
  });

  it('refuses alg none', async () => {
    const unsecured = `${b64({ alg: 'none' })}.${b64({ iss: 'jwt-app', sub: 'jwt-app', aud: h.issuer, jti: randomUUID(), exp: now() + 60 })}.`;
    await expectRefused(unsecured, /alg "none".*not accepted/);
  });

  it('refuses HS256 signed with the public key (algorithm confusion)', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(key.jwk));
    const forged = await new SignJWT({ iss: 'jwt-app', sub: 'jwt-app', aud: h.issuer, jti: randomUUID(), exp: now() + 60 })
      .setProtectedHeader({ alg: 'HS256', kid: key.kid })
      .sign(secret);
    await expectRefused(forged, /alg "HS256".*not accepted/);
  });

  it('OIDC DCR §2: refuses an alg other than the registered token_endpoint_auth_signing_alg, accepts that one', async () => {
    await expectRefused(await assertion(rsaRs256, {}, {}, 'jwt-ps256'), /alg "RS256".*not accepted; sign with PS256/, {}, 'jwt-ps256');
    expect((await authenticate(await assertion(rsaPs256, {}, {}, 'jwt-ps256'))).status).toBe(200);
    // The same key and RS256 assertion pass for a client that registered no signing alg.
    expect((await authenticate(await assertion(rsaRs256, {}, {}, 'jwt-rsa-any'))).status).toBe(200);
  });

  it('refuses sub different from iss', async () => {
    await expectMalformed(await assertion(key, { iss: 'someone-else' }), /"iss" and "sub" claims must both be the client_id/);
  });

  it('refuses a client_id parameter different from sub', async () => {
    await expectMalformed(await assertion(key), /client_id parameter does not match/, { client_id: 'basic-app' });
  });

  it('refuses a key the client did not register, with or without a known kid', async () => {
    const stranger = await signingKey();
    await expectRefused(await assertion(stranger), /No registered key/);
    await expectRefused(await assertion(stranger, {}, { kid: key.kid }), /signature does not verify/);
  });

  it('refuses an assertion for an unknown client like any failed authentication', async () => {
    await expectRefused(await assertion(key, {}, {}, 'nobody'), /^unknown client$/, {}, 'nobody');
  });

  it('refuses an assertion for a client registered for another method like an unknown client', async () => {
    await expectRefused(await assertion(key, {}, {}, 'basic-app'), /method private_key_jwt used, client_secret_basic registered/, {}, 'basic-app');
  });

  it('refuses garbage and an unknown client_assertion_type', async () => {
    for (const garbage of ['x', 'a.b.c', '..', `${b64({ alg: 'ES256' })}.${b64('text')}.sig`]) {
      await expectMalformed(garbage, /not a well-formed JWT|"sub" claim/);
    }
    const res = await postForm(h.url('/token'), { client_assertion_type: 'urn:example:saml', client_assertion: await assertion(key) });
    expect(res.status).toBe(401);
    expect(res.body.error_description).toMatch(/Unsupported client_assertion_type/);
    const missing = await postForm(h.url('/token'), { client_assertion: await assertion(key) });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('invalid_request');
  });

  it('answers an unreachable jwks_uri with invalid_client, not a server error', async () => {
    await expectRefused(await assertion(remoteKey, {}, {}, 'jwt-dead-uri'), /jwks_uri could not be fetched/, {}, 'jwt-dead-uri');
  });

  it('answers a client without usable registered keys like an unknown client', async () => {
    await expectRefused(await assertion(key, {}, {}, 'jwt-no-keys'), /no registered keys/, {}, 'jwt-no-keys');
  });
});

describe('RFC 6749 §5.2 no existence, method or algorithm oracle once a private_key_jwt client is found', () => {
  const unsigned = (clientId: string) => `${b64({ alg: 'none' })}.${b64({ iss: clientId, sub: clientId, aud: h.issuer, jti: randomUUID(), exp: now() + 60 })}.`;
  const hs256 = (clientId: string) =>
    new SignJWT({ iss: clientId, sub: clientId, aud: h.issuer, jti: randomUUID(), exp: now() + 60 }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('a guessed shared secret of 32 bytes!'));

  it.each([
    ['an unsigned assertion (alg none)', unsigned],
    ['an HS256 assertion', hs256],
  ])('answers %s for an existing private_key_jwt client exactly like for an unknown client; the audit row keeps the reason', async (_, forge) => {
    const unknown = await answer(await forge('nobody-at-all'));
    expect(unknown).toEqual({ status: 401, body: { error: 'invalid_client', error_description: CLIENT_AUTHENTICATION_FAILED }, challenge: null });
    for (const clientId of ['jwt-app', 'jwt-ps256', 'jwt-remote']) {
      expect(await answer(await forge(clientId))).toEqual(unknown);
      expect(await lastAuditedReason(clientId)).toMatch(/algorithm \(alg "(none|HS256)"\) is not accepted; sign with/);
    }
    expect(await lastAuditedReason('jwt-ps256')).toMatch(/sign with PS256\.$/);
    expect(await lastAuditedReason('nobody-at-all')).toBe('unknown client');
  });
});
