/**
 * Client authentication and DPoP wired into the real server: the real token endpoint with the
 * client_credentials grant, each authentication method, and a DPoP-bound token behind a server
 * nonce challenge (RFC 9449 §5, §8).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { CLIENT_ASSERTION_TYPE_JWT_BEARER } from '@mandate/protocol';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { clientRecord, postForm } from '../dpop/harness.ts';
import { proofKey, signProof } from '../dpop/proofs.ts';

const SECRET = 'server-secret-Zr8Qk2mV9xW4pL7nT1yB6cH3jD5fG0aS';
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

let t: TestServer;
let privateKey: CryptoKey;

beforeAll(async () => {
  t = await startTestServer({ dpop: { requireNonce: true } });
  const pair = await generateKeyPair('ES256');
  privateKey = pair.privateKey;
  const { ctx } = t.server;
  const grantTypes = ['client_credentials'];
  await ctx.storage.clients.create(clientRecord({ clientId: 'svc-basic', secret: SECRET, tokenEndpointAuthMethod: 'client_secret_basic', grantTypes }, ctx.now()));
  await ctx.storage.clients.create(clientRecord({ clientId: 'svc-post', secret: SECRET, tokenEndpointAuthMethod: 'client_secret_post', grantTypes }, ctx.now()));
  await ctx.storage.clients.create(
    clientRecord({ clientId: 'svc-jwt', tokenEndpointAuthMethod: 'private_key_jwt', grantTypes, jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1' }] } }, ctx.now()),
  );
});
afterAll(async () => {
  await t?.close();
});

const tokenUrl = () => `${t.issuer}/token`;

describe('RFC 6749 §3.2.1 client authentication at the real token endpoint', () => {
  it('issues a token to a client_secret_basic client and refuses a wrong secret with a challenge', async () => {
    const ok = await postForm(tokenUrl(), { grant_type: 'client_credentials' }, { Authorization: basic('svc-basic', SECRET) });
    expect(ok.status).toBe(200);
    expect(decodeJwt(ok.body.access_token as string).client_id).toBe('svc-basic');
    const bad = await postForm(tokenUrl(), { grant_type: 'client_credentials' }, { Authorization: basic('svc-basic', 'nope') });
    expect(bad.status).toBe(401);
    expect(bad.body.error).toBe('invalid_client');
    expect(bad.headers.get('www-authenticate')).toBe('Basic realm="mandate"');
  });

  it('issues a token to a client_secret_post client', async () => {
    const res = await postForm(tokenUrl(), { grant_type: 'client_credentials', client_id: 'svc-post', client_secret: SECRET });
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe('Bearer');
  });

  it('issues a token to a private_key_jwt client and refuses the same assertion twice', async () => {
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ iss: 'svc-jwt', sub: 'svc-jwt', aud: t.issuer, jti: randomUUID(), iat: now, exp: now + 60 })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .sign(privateKey);
    const form = { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE_JWT_BEARER, client_assertion: assertion };
    expect((await postForm(tokenUrl(), form)).status).toBe(200);
    const replay = await postForm(tokenUrl(), form);
    expect(replay.status).toBe(401);
    expect(replay.body).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed.' });
  });
});

describe('RFC 9449 §5 and §8 DPoP at the real token endpoint', () => {
  it('challenges for a nonce, then binds the access token to the proof key (cnf.jkt)', async () => {
    const key = await proofKey();
    const headers = async (nonce?: string) => ({ Authorization: basic('svc-basic', SECRET), DPoP: await signProof(key, { htu: tokenUrl(), claims: { nonce } }) });
    const challenge = await postForm(tokenUrl(), { grant_type: 'client_credentials' }, await headers());
    expect(challenge.status).toBe(400);
    expect(challenge.body.error).toBe('use_dpop_nonce');
    const nonce = challenge.headers.get('dpop-nonce') as string;
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const res = await postForm(tokenUrl(), { grant_type: 'client_credentials' }, await headers(nonce));
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe('DPoP');
    expect(decodeJwt(res.body.access_token as string).cnf).toEqual({ jkt: key.jkt });
    expect(res.headers.get('dpop-nonce')).toBe(nonce);
  });

  it('refuses a proof with a private key in its header', async () => {
    const key = await proofKey();
    const res = await postForm(tokenUrl(), { grant_type: 'client_credentials' }, {
      Authorization: basic('svc-basic', SECRET),
      DPoP: await signProof(key, { htu: tokenUrl(), header: { jwk: key.privateJwk } }),
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_dpop_proof');
  });
});
