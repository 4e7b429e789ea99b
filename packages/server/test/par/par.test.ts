import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, calculateJwkThumbprint } from 'jose';
import { PAR_REQUEST_URI_PREFIX } from '@mandate/protocol';
import { sha256 } from '../../src/crypto/hash.ts';
import type { ClientRecord } from '../../src/storage/records.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { TestBrowser } from '../interaction/support/browser.ts';
import { authorizeUrl, createClient, createUser, pkce, validParams } from '../interaction/support/fixtures.ts';
import { beginAuthorization, decideConsent, location, redirectParams, signIn } from '../interaction/support/flow.ts';

let ts: TestServer;
let publicClient: ClientRecord;
let confidential: ClientRecord;
const secret = randomBytes(32).toString('base64url');

beforeAll(async () => {
  ts = await startTestServer({ login: { maxFailures: 100 } });
  publicClient = await createClient(ts.server.ctx, { clientName: 'Public PAR App' });
  confidential = await createClient(ts.server.ctx, {
    tokenEndpointAuthMethod: 'client_secret_basic',
    clientSecretHash: sha256(secret),
    redirectUris: ['https://server.example.com/cb'],
  });
});
afterAll(() => ts.close());

function form(params: Record<string, string | string[] | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const value of v === undefined ? [] : Array.isArray(v) ? v : [v]) q.append(k, value);
  return q.toString();
}

function push(params: Record<string, string | string[] | undefined>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${ts.issuer}/par`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: form(params),
  });
}

const basic = (client: ClientRecord, s: string) => ({ authorization: `Basic ${Buffer.from(`${client.clientId}:${s}`).toString('base64')}` });

async function pushed(client: ClientRecord, extra: Record<string, string | string[] | undefined> = {}, headers: Record<string, string> = {}) {
  const params = validParams(client, pkce().challenge, extra);
  const res = await push(params, headers);
  const body = (await res.json()) as { request_uri: string; expires_in: number };
  expect(res.status, JSON.stringify(body)).toBe(201);
  return { params, requestUri: body.request_uri, body, res };
}

async function dpopProof(htu: string): Promise<{ proof: string; jkt: string }> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  const proof = await new SignJWT({ htm: 'POST', htu, jti: randomUUID(), iat: Math.floor(Date.now() / 1000) })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
    .sign(privateKey);
  return { proof, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
}

describe('RFC 9126 §2 pushed authorization request', () => {
  it('answers 201 with a request_uri and expires_in, not cacheable', async () => {
    const { body, res } = await pushed(publicClient);
    expect(body.request_uri.startsWith(PAR_REQUEST_URI_PREFIX)).toBe(true);
    expect(body.request_uri.length).toBeGreaterThan(PAR_REQUEST_URI_PREFIX.length + 30);
    expect(body.expires_in).toBe(ts.server.ctx.config.ttl.par);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('authenticates confidential clients (client_secret_basic) and refuses a wrong secret with invalid_client', async () => {
    await pushed(confidential, {}, basic(confidential, secret));
    const bad = await push(validParams(confidential, pkce().challenge), basic(confidential, 'wrong'));
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { error: string }).error).toBe('invalid_client');
    const none = await push(validParams(confidential, pkce().challenge));
    expect(none.status).toBe(401);
  });

  it('errors are JSON, not redirects: unregistered redirect_uri → invalid_request (§2.3)', async () => {
    const res = await push({ ...validParams(publicClient, pkce().challenge), redirect_uri: 'https://evil.example.net/cb' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('runs the same checks as /authorize: PKCE, response_type, scope, resource', async () => {
    const cases: [Record<string, string | undefined>, string][] = [
      [{ code_challenge_method: 'plain' }, 'invalid_request'],
      [{ code_challenge: undefined }, 'invalid_request'],
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ scope: 'openid not_a_scope' }, 'invalid_scope'],
      [{ resource: 'http://evil.example.net/' }, 'invalid_target'],
      [{ authorization_details: '[{"type":"nope"}]' }, 'invalid_authorization_details'],
      [{ request: 'eyJhbGciOiJub25lIn0.e30.' }, 'request_not_supported'],
    ];
    for (const [extra, error] of cases) {
      const res = await push({ ...validParams(publicClient, pkce().challenge), ...extra });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe(error);
    }
  });

  it('refuses a request_uri inside the pushed request (§2.1) and a mismatching client_id', async () => {
    const withUri = await push({ ...validParams(publicClient, pkce().challenge), request_uri: `${PAR_REQUEST_URI_PREFIX}abc` });
    expect(withUri.status).toBe(400);
    expect(((await withUri.json()) as { error: string }).error).toBe('invalid_request');
    const mismatch = await push({ ...validParams(publicClient, pkce().challenge), client_id: 'someone-else' }, basic(confidential, secret));
    expect(mismatch.status).toBe(401);
    expect(((await mismatch.json()) as { error: string }).error).toBe('invalid_client');
  });

  it('refuses a non-form body', async () => {
    const res = await fetch(`${ts.issuer}/par`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(400);
  });
});

describe('RFC 9126 §4 authorization request with a request_uri', () => {
  it('round trip: only the pushed parameters count, and the flow ends with code, state and iss', async () => {
    const user = await createUser(ts.server.ctx);
    const { params, requestUri } = await pushed(publicClient, { state: 'pushed-state', scope: 'openid' });
    const browser = new TestBrowser();
    // Parameters on the query besides client_id and request_uri are ignored (§4).
    const interactionUrl = await beginAuthorization(
      browser,
      authorizeUrl(ts.issuer, { client_id: publicClient.clientId, request_uri: requestUri, state: 'query-state', scope: 'openid profile email' }),
    );
    await signIn(browser, interactionUrl, user);
    const res = await decideConsent(browser, interactionUrl, 'approve');
    const q = redirectParams(res);
    expect(q.get('state')).toBe('pushed-state');
    expect(q.get('iss')).toBe(ts.issuer);
    const code = q.get('code')!;
    const record = (await ts.server.ctx.storage.codes.consume(sha256(code), ts.server.ctx.now()))!.record;
    expect(record.scope).toBe('openid');
    expect(record.codeChallenge).toBe(params.code_challenge);
  });

  it('a request_uri is single use', async () => {
    const { requestUri } = await pushed(publicClient);
    const url = authorizeUrl(ts.issuer, { client_id: publicClient.clientId, request_uri: requestUri });
    await beginAuthorization(new TestBrowser(), url);
    const again = await new TestBrowser().get(url);
    expect(again.status).toBe(400);
    expect(again.headers.get('location')).toBeNull();
    expect(await again.text()).toContain('invalid_request_uri');
  });

  it('a request_uri of another client, an unknown one, or a foreign format → error page', async () => {
    const { requestUri } = await pushed(publicClient);
    for (const [clientId, uri] of [
      [confidential.clientId, requestUri],
      [publicClient.clientId, `${PAR_REQUEST_URI_PREFIX}${'x'.repeat(43)}`],
      [publicClient.clientId, 'https://example.com/request.jwt'],
    ] as const) {
      const res = await new TestBrowser().get(authorizeUrl(ts.issuer, { client_id: clientId, request_uri: uri }));
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    }
  });

  it('another client cannot burn a request_uri, nor tell it from an unknown one; the pushing client still uses it', async () => {
    const { requestUri } = await pushed(publicClient);
    const foreign = await new TestBrowser().get(authorizeUrl(ts.issuer, { client_id: confidential.clientId, request_uri: requestUri }));
    expect(foreign.status).toBe(400);
    expect(foreign.headers.get('location')).toBeNull();
    const unknownUri = `${PAR_REQUEST_URI_PREFIX}${'y'.repeat(43)}`;
    const unknown = await new TestBrowser().get(authorizeUrl(ts.issuer, { client_id: confidential.clientId, request_uri: unknownUri }));
    expect(await foreign.text()).toBe(await unknown.text());

    const own = await new TestBrowser().get(authorizeUrl(ts.issuer, { client_id: publicClient.clientId, request_uri: requestUri }));
    expect(own.status).toBe(303);
    expect(location(own)).toContain('/interaction/');
  });

  it('an expired request_uri → error page', async () => {
    const short = await startTestServer({ ttl: { par: 1 } });
    try {
      const c = await createClient(short.server.ctx);
      const res = await fetch(`${short.issuer}/par`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form(validParams(c, pkce().challenge)),
      });
      const { request_uri } = (await res.json()) as { request_uri: string };
      await new Promise((r) => setTimeout(r, 2100));
      const late = await new TestBrowser().get(authorizeUrl(short.issuer, { client_id: c.clientId, request_uri }));
      expect(late.status).toBe(400);
      expect(await late.text()).toContain('expired');
    } finally {
      await short.close();
    }
  });
});

describe('RFC 9126 §6 require_pushed_authorization_requests', () => {
  it('a client that requires PAR is refused at /authorize without request_uri (redirected invalid_request), accepted with one', async () => {
    const strict = await createClient(ts.server.ctx, { requirePar: true });
    const direct = await new TestBrowser().get(authorizeUrl(ts.issuer, validParams(strict, pkce().challenge, { state: 'par-state' })));
    expect(direct.status).toBe(303);
    const q = redirectParams(direct);
    expect(q.get('error')).toBe('invalid_request');
    expect(q.get('error_description')).toContain('pushed authorization requests');
    expect(q.get('state')).toBe('par-state');
    expect(q.get('iss')).toBe(ts.issuer);

    const { requestUri } = await pushed(strict);
    const res = await new TestBrowser().get(authorizeUrl(ts.issuer, { client_id: strict.clientId, request_uri: requestUri }));
    expect(res.status).toBe(303);
    expect(location(res)).toContain('/interaction/');
  });
});

describe('RFC 9449 §10.1 DPoP at the PAR endpoint', () => {
  it('a DPoP proof binds the code to its key (dpop_jkt recorded)', async () => {
    const user = await createUser(ts.server.ctx);
    const { proof, jkt } = await dpopProof(`${ts.issuer}/par`);
    const { requestUri } = await pushed(publicClient, {}, { dpop: proof });
    const browser = new TestBrowser();
    const interactionUrl = await beginAuthorization(browser, authorizeUrl(ts.issuer, { client_id: publicClient.clientId, request_uri: requestUri }));
    await signIn(browser, interactionUrl, user);
    const res = await decideConsent(browser, interactionUrl, 'approve');
    const code = redirectParams(res).get('code')!;
    const record = (await ts.server.ctx.storage.codes.consume(sha256(code), ts.server.ctx.now()))!.record;
    expect(record.dpopJkt).toBe(jkt);
  });

  it('dpop_jkt and a proof of another key → refused; the same key → accepted', async () => {
    const { proof, jkt } = await dpopProof(`${ts.issuer}/par`);
    const other = await dpopProof(`${ts.issuer}/par`);
    const mismatch = await push(validParams(publicClient, pkce().challenge, { dpop_jkt: other.jkt }), { dpop: proof });
    expect(mismatch.status).toBe(400);
    expect(((await mismatch.json()) as { error_description: string }).error_description).toContain('dpop_jkt');
    const fresh = await dpopProof(`${ts.issuer}/par`);
    const match = await push(validParams(publicClient, pkce().challenge, { dpop_jkt: fresh.jkt }), { dpop: fresh.proof });
    expect(match.status).toBe(201);
    expect(jkt).not.toBe(other.jkt);
  });

  it('an invalid proof (wrong htu, garbage) → invalid_dpop_proof', async () => {
    const wrongHtu = await dpopProof(`${ts.issuer}/token`);
    for (const proof of [wrongHtu.proof, 'garbage']) {
      const res = await push(validParams(publicClient, pkce().challenge), { dpop: proof });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('invalid_dpop_proof');
    }
  });
});
