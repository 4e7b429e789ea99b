/**
 * DPoP at the token endpoint (RFC 9449 §5, §8, §10) through a real server: bound access tokens,
 * clients that require proofs, codes bound with dpop_jkt, public clients' refresh tokens bound to
 * the proof key, server nonces.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessTokenClaims,
  createCode,
  exchangeCode,
  introspect,
  postForm,
  proofKey,
  refresh,
  SECRET,
  signProof,
  startTokenServer,
  tokenProof,
  type ProofKey,
  type TokenServer,
} from '../token/fixtures.ts';
import { sha256 } from '../../src/crypto/hash.ts';

describe('RFC 9449 DPoP at the token endpoint', () => {
  let server: TokenServer;
  let keyA: ProofKey;
  let keyB: ProofKey;
  beforeAll(async () => {
    server = await startTokenServer();
    keyA = await proofKey('ES256');
    keyB = await proofKey('EdDSA');
  });
  afterAll(async () => {
    await server?.close();
  });

  const publicCode = (o: { clientId?: string; dpopJkt?: string } = {}) => createCode(server.ctx, { clientId: o.clientId ?? 'public-app', userId: server.alice.id, ...(o.dpopJkt ? { dpopJkt: o.dpopJkt } : {}) });
  const asPublic = (clientId = 'public-app') => ({ client_id: clientId });

  describe('RFC 9449 §5 / §6.1 DPoP-bound access tokens', () => {
    it('binds the access token to the proof key: token_type DPoP, cnf.jkt, a DPoP-Nonce for the client', async () => {
      const issued = await createCode(server.ctx, { clientId: 'web-app', userId: server.alice.id });
      const res = await exchangeCode(server, issued, {}, { basic: ['web-app', SECRET.web], dpop: await tokenProof(server, keyA) });
      expect(res.status).toBe(200);
      expect(res.body.token_type).toBe('DPoP');
      expect(accessTokenClaims(res.body.access_token).cnf).toEqual({ jkt: keyA.jkt });
      expect(res.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const described = await introspect(server, res.body.access_token);
      expect(described.body).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: keyA.jkt } });
    });

    it('binds client_credentials tokens too', async () => {
      const res = await postForm(server.tokenUrl, { grant_type: 'client_credentials', client_id: 'machine', client_secret: SECRET.machine }, { dpop: await tokenProof(server, keyA) });
      expect(res.status).toBe(200);
      expect(res.body.token_type).toBe('DPoP');
      expect(accessTokenClaims(res.body.access_token).cnf).toEqual({ jkt: keyA.jkt });
    });

    it('refuses an invalid proof with invalid_dpop_proof', async () => {
      const issued = await publicCode();
      const wrongHtu = await signProof(keyA, { htu: `${server.issuer}/par` });
      const res = await exchangeCode(server, issued, asPublic(), { dpop: wrongHtu });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_dpop_proof');
      const garbage = await exchangeCode(server, await publicCode(), asPublic(), { dpop: 'not.a.proof' });
      expect(garbage.body.error).toBe('invalid_dpop_proof');
    });
  });

  describe('RFC 9449 §5.2 dpop_bound_access_tokens clients', () => {
    it('refuses a token request without a proof', async () => {
      const issued = await publicCode({ clientId: 'dpop-app' });
      const res = await exchangeCode(server, issued, asPublic('dpop-app'), {});
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_dpop_proof');
      expect(res.body.error_description).toMatch(/dpop_bound_access_tokens/);
    });

    it('issues a DPoP token with a proof', async () => {
      const issued = await publicCode({ clientId: 'dpop-app' });
      const res = await exchangeCode(server, issued, asPublic('dpop-app'), { dpop: await tokenProof(server, keyA) });
      expect(res.status).toBe(200);
      expect(res.body.token_type).toBe('DPoP');
    });
  });

  describe('RFC 9449 §10 authorization code bound with dpop_jkt', () => {
    it('requires a proof', async () => {
      const res = await exchangeCode(server, await publicCode({ dpopJkt: keyA.jkt }), asPublic(), {});
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_dpop_proof');
    });

    it('refuses a proof of another key', async () => {
      const res = await exchangeCode(server, await publicCode({ dpopJkt: keyA.jkt }), asPublic(), { dpop: await tokenProof(server, keyB) });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
    });

    it('accepts a proof of the bound key', async () => {
      const res = await exchangeCode(server, await publicCode({ dpopJkt: keyA.jkt }), asPublic(), { dpop: await tokenProof(server, keyA) });
      expect(res.status).toBe(200);
      expect(accessTokenClaims(res.body.access_token).cnf).toEqual({ jkt: keyA.jkt });
    });
  });

  describe('RFC 9449 §5 refresh tokens of public clients are bound to the proof key', () => {
    async function boundLogin() {
      const res = await exchangeCode(server, await publicCode(), asPublic(), { dpop: await tokenProof(server, keyA) });
      expect(res.status).toBe(200);
      return res.body.refresh_token as string;
    }

    it('refuses a refresh with another key (invalid_grant) or without a proof (invalid_dpop_proof), without burning the token', async () => {
      const refreshToken = await boundLogin();
      const otherKey = await refresh(server, refreshToken, asPublic(), { dpop: await tokenProof(server, keyB) });
      expect(otherKey.status).toBe(400);
      expect(otherKey.body.error).toBe('invalid_grant');
      const noProof = await refresh(server, refreshToken, asPublic(), {});
      expect(noProof.status).toBe(400);
      expect(noProof.body.error).toBe('invalid_dpop_proof');

      const rightKey = await refresh(server, refreshToken, asPublic(), { dpop: await tokenProof(server, keyA) });
      expect(rightKey.status).toBe(200);
      expect(rightKey.body.token_type).toBe('DPoP');
      // The successor keeps the binding.
      const successorOtherKey = await refresh(server, rightKey.body.refresh_token, asPublic(), { dpop: await tokenProof(server, keyB) });
      expect(successorOtherKey.body.error).toBe('invalid_grant');
      const record = await server.ctx.storage.refreshTokens.get(sha256(rightKey.body.refresh_token));
      expect(record?.dpopJkt).toBe(keyA.jkt);
    });

    it('does not bind a confidential client’s refresh token (client authentication binds it)', async () => {
      const issued = await createCode(server.ctx, { clientId: 'web-app', userId: server.alice.id });
      const first = await exchangeCode(server, issued, {}, { basic: ['web-app', SECRET.web], dpop: await tokenProof(server, keyA) });
      const withOtherKey = await refresh(server, first.body.refresh_token, {}, { basic: ['web-app', SECRET.web], dpop: await tokenProof(server, keyB) });
      expect(withOtherKey.status).toBe(200);
      expect(accessTokenClaims(withOtherKey.body.access_token).cnf).toEqual({ jkt: keyB.jkt });
    });
  });
});

describe('RFC 9449 §8 server nonces at the token endpoint (dpop.requireNonce)', () => {
  let server: TokenServer;
  beforeAll(async () => {
    server = await startTokenServer({ dpop: { requireNonce: true } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers use_dpop_nonce with a DPoP-Nonce header, then accepts the proof carrying it', async () => {
    const key = await proofKey();
    const form = { grant_type: 'client_credentials', client_id: 'machine', client_secret: SECRET.machine };
    const first = await postForm(server.tokenUrl, form, { dpop: await tokenProof(server, key) });
    expect(first.status).toBe(400);
    expect(first.body.error).toBe('use_dpop_nonce');
    const nonce = first.headers.get('dpop-nonce');
    expect(nonce).toBeTruthy();
    const second = await postForm(server.tokenUrl, form, { dpop: await tokenProof(server, key, { nonce }) });
    expect(second.status).toBe(200);
    expect(second.body.token_type).toBe('DPoP');
    expect(second.headers.get('dpop-nonce')).toBe(nonce);
  });
});
