/**
 * RFC 8693 §5: "Omitting client authentication allows for a compromised token to be leveraged via
 * an STS into other tokens by anyone possessing the compromised token." A public client
 * (`token_endpoint_auth_method: none`) proves nothing but a client_id anyone can send, so it
 * exchanges a token of this server only when the token is DPoP-bound and the request proves its key
 * (src/grants/token-exchange/subject-binding.ts). Through a real server on SQLite and PostgreSQL.
 */
import { describe, expect, it } from 'vitest';
import { randomId } from '../../src/crypto/hash.ts';
import type { Backend } from '../helpers/test-server.ts';
import { accessTokenClaims, auditEvents, createCode, exchangeCode, proofKey, refresh, tokenProof, type ProofKey } from '../token/fixtures.ts';
import { auth, exchange, exchangeConfig, EXCHANGE_CLIENTS, MCP, ORCHESTRATOR, TOKEN_EXCHANGE, TT, useExchangeServer, userToken } from './fixtures.ts';

/** A native app (public client) that signs users in and exchanges their tokens, and may refresh. */
const NATIVE = 'native-host';
const NATIVE_REDIRECT = 'http://127.0.0.1/callback';
const NATIVE_CLIENT = {
  client_id: NATIVE,
  token_endpoint_auth_method: 'none',
  application_type: 'native',
  grant_types: ['authorization_code', 'refresh_token', TOKEN_EXCHANGE],
  redirect_uris: [NATIVE_REDIRECT],
  scope: 'openid mcp:read mcp:write offline_access',
};

/** The native app is also listed as an exchanger of ORCHESTRATOR: an on-behalf-of hop by a public client. */
function config() {
  const base = exchangeConfig();
  const resources = base.tokenExchange!.resources!.map((r) => (r.resource === ORCHESTRATOR ? { ...r, exchangers: [...(r.exchangers ?? []), NATIVE] } : r));
  return { clients: [...EXCHANGE_CLIENTS, NATIVE_CLIENT], tokenExchange: { ...base.tokenExchange, resources } };
}

describe.each<Backend>(['sqlite', 'postgres'])('RFC 8693 §5 token exchange by a public client (%s)', (backend) => {
  const h = useExchangeServer(backend, config);

  /** A user token issued to the native app through the authorization code grant; DPoP-bound when `key` is given. */
  async function nativeToken(key?: ProofKey): Promise<{ token: string; idToken: string }> {
    const issued = await createCode(h.server.ctx, { clientId: NATIVE, userId: h.server.alice.id, redirectUri: NATIVE_REDIRECT, scope: 'openid mcp:read mcp:write', resources: [ORCHESTRATOR] });
    const res = await exchangeCode(h.server, issued, { client_id: NATIVE }, key ? { dpop: await tokenProof(h.server, key) } : {});
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return { token: String(res.body.access_token), idToken: String(res.body.id_token) };
  }

  const asNative = (form: Record<string, string>, key?: ProofKey) => async () =>
    exchange(h.server, { client_id: NATIVE, resource: MCP, scope: 'mcp:read offline_access', ...form }, key ? { dpop: await tokenProof(h.server, key) } : {});

  async function expectBearerRefused(send: () => Promise<{ status: number; body: Record<string, any> }>): Promise<void> {
    const exchanged = (await auditEvents(h.server, 'token_exchanged')).length;
    const res = await send();
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/public client may exchange only a DPoP-bound subject_token.*bearer token.*RFC 8693 §5/) });
    expect(res.body.access_token).toBeUndefined();
    expect((await auditEvents(h.server, 'token_exchanged')).length).toBe(exchanged);
    expect((await auditEvents(h.server, 'token_exchange_refused')).slice(-1)[0]).toMatchObject({ clientId: NATIVE, reason: expect.stringMatching(/bearer token/) });
  }

  it('RFC 8693 §5: a bearer access token issued to the public client itself → invalid_request, nothing issued', async () => {
    const { token } = await nativeToken();
    await expectBearerRefused(asNative({ subject_token: token, subject_token_type: TT.accessToken }));
    // A DPoP proof of some key does not make a bearer token bound.
    await expectBearerRefused(asNative({ subject_token: token, subject_token_type: TT.accessToken }, await proofKey()));
  });

  it('RFC 8693 §5: a bearer token addressed to a resource the public client operates (on-behalf-of) → invalid_request', async () => {
    const { token } = await userToken(h.server); // issued to `host` (confidential) for ORCHESTRATOR
    await expectBearerRefused(asNative({ subject_token: token, subject_token_type: TT.accessToken }));
    // The confidential exchanger of the same resource still may (client authentication, RFC 8693 §2.1).
    const orchestrated = await exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, resource: MCP, scope: 'mcp:read' }, auth.orchestrator);
    expect(orchestrated.status, JSON.stringify(orchestrated.body)).toBe(200);
  });

  it('RFC 8693 §5: our ID token (never sender-constrained) from a public client → invalid_request', async () => {
    // The user consented to the native app: without the rule this ID token would buy an access token.
    await h.server.ctx.storage.consents.create({ id: randomId('cns'), userId: h.server.alice.id, clientId: NATIVE, scope: 'openid mcp:read', resources: [], authorizationDetails: null, createdAt: h.server.ctx.now(), revokedAt: null });
    const { idToken } = await nativeToken();
    await expectBearerRefused(asNative({ subject_token: idToken, subject_token_type: TT.idToken, scope: 'mcp:read' }));
  });

  it('RFC 9449 §6.1: a DPoP-bound subject token with a proof of its key → 200; the new access and refresh tokens stay bound', async () => {
    const key = await proofKey();
    const { token } = await nativeToken(key);
    expect(accessTokenClaims(token).cnf).toEqual({ jkt: key.jkt });
    const form = { subject_token: token, subject_token_type: TT.accessToken };
    const none = await asNative(form)();
    expect(none.body).toMatchObject({ error: 'invalid_dpop_proof', error_description: expect.stringMatching(/subject_token is DPoP-bound/) });
    const other = await asNative(form, await proofKey())();
    expect(other.body).toMatchObject({ error: 'invalid_request', error_description: 'The DPoP proof key is not the key the subject_token is bound to.' });
    const same = await asNative(form, key)();
    expect(same.status, JSON.stringify(same.body)).toBe(200);
    expect(same.body.token_type).toBe('DPoP');
    expect(accessTokenClaims(same.body.access_token)).toMatchObject({ sub: h.server.alice.id, aud: MCP, client_id: NATIVE, scope: 'mcp:read', cnf: { jkt: key.jkt } });
    expect(typeof same.body.refresh_token).toBe('string');
    // RFC 9449 §5: the refresh token of the exchange is bound to the same key.
    expect((await refresh(h.server, same.body.refresh_token, { client_id: NATIVE }, {})).body.error).toBe('invalid_dpop_proof');
    const again = await refresh(h.server, same.body.refresh_token, { client_id: NATIVE }, { dpop: await tokenProof(h.server, key) });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(accessTokenClaims(again.body.access_token).cnf).toEqual({ jkt: key.jkt });
  });

  it('RFC 9449 §6.1: a bound token addressed to a resource the public client operates (on-behalf-of) needs a proof of its key', async () => {
    const key = await proofKey();
    const issued = await createCode(h.server.ctx, { clientId: 'host', userId: h.server.alice.id, redirectUri: 'https://host.example/cb', scope: 'openid mcp:read', resources: [ORCHESTRATOR] });
    const hosted = await exchangeCode(h.server, issued, {}, { ...auth.host, dpop: await tokenProof(h.server, key) });
    expect(accessTokenClaims(hosted.body.access_token).cnf).toEqual({ jkt: key.jkt });
    const form = { subject_token: String(hosted.body.access_token), subject_token_type: TT.accessToken, scope: 'mcp:read' };
    // Anyone can send client_id=native-host: the binding, not the client_id, decides.
    expect((await asNative(form)()).body.error).toBe('invalid_dpop_proof');
    expect((await asNative(form, await proofKey())()).body).toMatchObject({ error: 'invalid_request', error_description: 'The DPoP proof key is not the key the subject_token is bound to.' });
    const holder = await asNative(form, key)();
    expect(holder.status, JSON.stringify(holder.body)).toBe(200);
    // A confidential resource server authenticates as itself: no proof of the caller's key (unchanged).
    const orchestrated = await exchange(h.server, { ...form, resource: MCP }, auth.orchestrator);
    expect(orchestrated.status, JSON.stringify(orchestrated.body)).toBe(200);
  });
});
