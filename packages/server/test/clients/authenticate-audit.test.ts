/**
 * AU-1: every failed client authentication leaves an audit row (who, where, why) and no row ever
 * holds the credential that was tried. Also run on PostgreSQL, with the replay caches of client
 * assertions (RFC 7523 §3) and DPoP proofs (RFC 9449 §11.1), which live in storage.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { CLIENT_ASSERTION_TYPE_JWT_BEARER } from '@mandate/protocol';
import { postForm, startHarness, type Harness } from '../dpop/harness.ts';
import { proofKey, signProof } from '../dpop/proofs.ts';
import type { Backend } from '../helpers/isolated-database.ts';
import { CLIENT_AUTHENTICATION_FAILED } from '../../src/clients/auth/failure.ts';

const SECRET = 'audit-secret-Zr8Qk2mV9xW4pL7nT1yB6cH3jD5fG0aS';
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const now = () => Math.floor(Date.now() / 1000);

describe.each<Backend>(['sqlite', 'postgres'])('AU-1 audit of failed client authentication (%s)', (backend) => {
  let h: Harness;
  let privateKey: CryptoKey;

  beforeAll(async () => {
    h = await startHarness({}, backend);
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    await h.createClient({ clientId: 'audit-app', secret: SECRET, tokenEndpointAuthMethod: 'client_secret_basic' });
    await h.createClient({ clientId: 'audit-post', secret: SECRET, tokenEndpointAuthMethod: 'client_secret_post' });
    await h.createClient({ clientId: 'audit-jwt', tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1' }] } });
    await h.createClient({ clientId: 'audit-public' });
  });
  afterAll(async () => {
    await h?.close();
  });

  const failures = () => h.ctx.storage.audit.list({ event: 'client_authentication', limit: 1000 });
  const assertion = (jti = randomUUID()) =>
    new SignJWT({ iss: 'audit-jwt', sub: 'audit-jwt', aud: h.issuer, jti, exp: now() + 60 }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(privateKey);

  it('records a wrong secret with client, endpoint, method, IP and reason, and never the secret', async () => {
    const tried = 'wrong-secret-that-must-not-be-stored-XYZ123';
    const res = await postForm(h.url('/token'), { grant_type: 'client_credentials' }, { Authorization: basic('audit-app', tried) });
    expect(res.status).toBe(401);
    const rows = (await failures()).filter((r) => r.clientId === 'audit-app');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      event: 'client_authentication',
      result: 'failure',
      clientId: 'audit-app',
      ip: '127.0.0.1',
      reason: 'the client secret does not match',
      data: { endpoint: 'token', method: 'client_secret_basic' },
    });
    const stored = JSON.stringify(await failures());
    expect(stored).not.toContain(tried);
    expect(stored).not.toContain(Buffer.from(`audit-app:${tried}`).toString('base64'));
  });

  it('records an unknown client with its precise reason while the response stays generic', async () => {
    await postForm(h.url('/revoke'), { client_id: 'nobody', client_secret: 'guess-1234567890', token: 'x' });
    const row = (await failures()).find((r) => r.clientId === 'nobody');
    expect(row).toMatchObject({ reason: 'unknown client', data: { endpoint: 'revocation', method: 'client_secret_post' } });
    expect(JSON.stringify(row)).not.toContain('guess-1234567890');
  });

  it('records a method mismatch with its precise reason while the response stays generic', async () => {
    const res = await postForm(h.url('/par'), { client_id: 'audit-app' });
    expect(res.status).toBe(401);
    expect(res.body.error_description).toBe(CLIENT_AUTHENTICATION_FAILED);
    const row = (await failures()).find((r) => r.clientId === 'audit-app' && r.data?.endpoint === 'par');
    expect(row).toMatchObject({ reason: 'method none used, client_secret_basic registered', data: { endpoint: 'par', method: 'none' } });
  });

  it('records a refused private_key_jwt assertion with its precise reason while the response equals the one for an unknown client', async () => {
    const hs256 = (clientId: string) =>
      new SignJWT({ iss: clientId, sub: clientId, aud: h.issuer, jti: randomUUID(), exp: now() + 60 }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('a guessed shared secret of 32 bytes!'));
    const form = async (clientId: string) => ({ grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE_JWT_BEARER, client_assertion: await hs256(clientId) });
    const existing = await postForm(h.url('/token'), await form('audit-jwt'));
    const unknown = await postForm(h.url('/token'), await form('audit-nobody'));
    expect(existing.status).toBe(401);
    expect(existing.status).toBe(unknown.status);
    expect(existing.body).toEqual({ error: 'invalid_client', error_description: CLIENT_AUTHENTICATION_FAILED });
    expect(existing.body).toEqual(unknown.body);
    const rows = await failures();
    expect(rows.findLast((r) => r.clientId === 'audit-jwt')).toMatchObject({ reason: expect.stringMatching(/alg "HS256"\) is not accepted; sign with/), data: { endpoint: 'token', method: 'private_key_jwt' } });
    expect(rows.findLast((r) => r.clientId === 'audit-nobody')).toMatchObject({ reason: 'unknown client', data: { endpoint: 'token', method: 'private_key_jwt' } });
  });

  it('records one row per failure of every kind, none for successes', async () => {
    const before = (await failures()).length;
    const attempts: [Record<string, string>, Record<string, string>, number][] = [
      [{}, { Authorization: 'Basic !!!' }, 401], // malformed Basic
      [{ client_id: 'audit-post', client_secret: SECRET }, { Authorization: basic('audit-post', SECRET) }, 400], // two methods
      [{ client_id: 'audit-app', client_secret: SECRET }, {}, 401], // method mismatch
      [{ client_id: 'audit-public', token: 'x' }, {}, 401], // public client at introspection
      [{ client_assertion_type: CLIENT_ASSERTION_TYPE_JWT_BEARER, client_assertion: 'a.b.c' }, {}, 401], // garbage assertion
    ];
    for (const [form, headers, status] of attempts) {
      expect((await postForm(h.url('/introspect'), { token: 'x', ...form }, headers)).status).toBe(status);
    }
    expect((await postForm(h.url('/token'), { client_id: 'audit-post', client_secret: SECRET })).status).toBe(200);
    const rows = (await failures()).slice(before);
    expect(rows).toHaveLength(attempts.length);
    for (const row of rows) {
      expect(row.result).toBe('failure');
      expect(row.reason).toBeTruthy();
      expect(JSON.stringify(row)).not.toContain(SECRET);
    }
  });

  it('RFC 7523 §3: refuses a replayed client assertion jti on this backend, and audits it', async () => {
    const once = await assertion();
    const form = { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE_JWT_BEARER, client_assertion: once };
    expect((await postForm(h.url('/token'), form)).status).toBe(200);
    const replay = await postForm(h.url('/token'), form);
    expect(replay.status).toBe(401);
    expect(replay.body.error_description).toBe(CLIENT_AUTHENTICATION_FAILED);
    const row = (await failures()).findLast((r) => r.clientId === 'audit-jwt');
    expect(row?.reason).toMatch(/already been used/);
    expect(JSON.stringify(row)).not.toContain(once);
  });

  it('RFC 9449 §11.1: refuses a replayed DPoP proof on this backend', async () => {
    const key = await proofKey();
    const proof = await signProof(key, { htu: h.url('/token') });
    const form = { grant_type: 'client_credentials', client_id: 'audit-public' };
    expect((await postForm(h.url('/token'), form, { DPoP: proof })).status).toBe(200);
    const replay = await postForm(h.url('/token'), form, { DPoP: proof });
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_dpop_proof');
  });
});
