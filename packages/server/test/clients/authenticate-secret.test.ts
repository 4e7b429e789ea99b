/**
 * Shared-secret and public-client authentication (RFC 6749 §2.3, §2.3.1; RFC 7591 §2), over real
 * HTTP against a real ServerContext with clients created in real SQLite storage.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm, startHarness, type Harness } from '../dpop/harness.ts';
import { CLIENT_AUTHENTICATION_FAILED } from '../../src/clients/auth/failure.ts';

const BASIC_SECRET = 'basic-secret-Zr8Qk2mV9xW4pL7nT1yB6cH3jD5fG0aS';
const POST_SECRET = 'post-secret-Hq3Jw8Ev5Rt2Yu7Io4Pa1Sd6Fg9Hj0Kl';
const ODD_ID = 'svc:a b+c%';
const ODD_SECRET = 'p@ss+w%rd: with spaces/&=';

/** RFC 6749 §2.3.1: each part form-urlencoded, then joined with ":" and base64 encoded. */
function basic(id: string, secret: string): string {
  const enc = (v: string) => new URLSearchParams({ v }).toString().slice(2);
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}
const raw = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await h.createClient({ clientId: 'basic-app', secret: BASIC_SECRET, tokenEndpointAuthMethod: 'client_secret_basic' });
  await h.createClient({ clientId: 'post-app', secret: POST_SECRET, tokenEndpointAuthMethod: 'client_secret_post' });
  await h.createClient({ clientId: ODD_ID, secret: ODD_SECRET, tokenEndpointAuthMethod: 'client_secret_basic' });
  await h.createClient({ clientId: 'expired-app', secret: BASIC_SECRET, tokenEndpointAuthMethod: 'client_secret_basic', clientSecretExpiresAt: h.ctx.now() - 10 });
  await h.createClient({ clientId: 'public-app' });
});
afterAll(async () => {
  await h?.close();
});

const token = (form: Record<string, string>, headers: Record<string, string> = {}) => postForm(h.url('/token'), { grant_type: 'client_credentials', ...form }, headers);

function expectInvalidClient(res: Awaited<ReturnType<typeof token>>, description: string | RegExp, challenge: boolean): void {
  expect(res.status).toBe(401);
  expect(res.body.error).toBe('invalid_client');
  if (typeof description === 'string') expect(res.body.error_description).toBe(description);
  else expect(res.body.error_description).toMatch(description);
  expect(res.headers.get('www-authenticate')).toBe(challenge ? 'Basic realm="mandate"' : null);
}

describe('RFC 6749 §2.3.1 client_secret_basic', () => {
  it('authenticates with the registered secret', async () => {
    const res = await token({}, { Authorization: basic('basic-app', BASIC_SECRET) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ client_id: 'basic-app', method: 'client_secret_basic' });
  });

  it('form-urlencodes client id and secret before base64 (":", "+", "%", spaces)', async () => {
    const res = await token({}, { Authorization: basic(ODD_ID, ODD_SECRET) });
    expect(res.status).toBe(200);
    expect(res.body.client_id).toBe(ODD_ID);
  });

  it('accepts a client_id parameter equal to the Basic client id, refuses a different one', async () => {
    expect((await token({ client_id: 'basic-app' }, { Authorization: basic('basic-app', BASIC_SECRET) })).status).toBe(200);
    expectInvalidClient(await token({ client_id: 'post-app' }, { Authorization: basic('basic-app', BASIC_SECRET) }), /does not match/, true);
  });

  it('refuses a wrong secret with 401 and a Basic challenge (RFC 6749 §5.2)', async () => {
    expectInvalidClient(await token({}, { Authorization: basic('basic-app', 'wrong') }), CLIENT_AUTHENTICATION_FAILED, true);
  });

  it('answers an unknown client exactly like a wrong secret', async () => {
    const unknown = await token({}, { Authorization: basic('nobody', BASIC_SECRET) });
    const wrong = await token({}, { Authorization: basic('basic-app', 'wrong') });
    expectInvalidClient(unknown, CLIENT_AUTHENTICATION_FAILED, true);
    expect(unknown.body).toEqual(wrong.body);
  });

  it.each([
    ['not base64', 'Basic !!!'],
    ['no credentials', 'Basic'],
    ['no colon', raw('basic-app')],
    ['empty client id', raw(`:${BASIC_SECRET}`)],
    ['empty secret', raw('basic-app:')],
    ['bad percent-encoding', raw('basic-app:%zz')],
    ['not UTF-8', `Basic ${Buffer.from([0x62, 0x3a, 0xff, 0xfe]).toString('base64')}`],
    ['bad base64 padding', 'Basic YWJj=='],
  ])('refuses a malformed Basic header (%s) with invalid_client and a challenge', async (_name, authorization) => {
    expectInvalidClient(await token({}, { Authorization: authorization }), /not valid HTTP Basic/, true);
  });

  it('refuses an expired secret (RFC 7591 client_secret_expires_at)', async () => {
    expectInvalidClient(await token({}, { Authorization: basic('expired-app', BASIC_SECRET) }), /expired/, true);
  });

  it('refuses Basic for a client registered for client_secret_post, without naming the registered method', async () => {
    expectInvalidClient(await token({}, { Authorization: basic('post-app', POST_SECRET) }), CLIENT_AUTHENTICATION_FAILED, true);
  });
});

describe('RFC 6749 §2.3.1 client_secret_post', () => {
  it('authenticates with client_id and client_secret in the body', async () => {
    const res = await token({ client_id: 'post-app', client_secret: POST_SECRET });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ client_id: 'post-app', method: 'client_secret_post' });
  });

  it('refuses a wrong secret and an unknown client alike, without a Basic challenge', async () => {
    const wrong = await token({ client_id: 'post-app', client_secret: 'wrong' });
    const unknown = await token({ client_id: 'nobody', client_secret: POST_SECRET });
    expectInvalidClient(wrong, CLIENT_AUTHENTICATION_FAILED, false);
    expectInvalidClient(unknown, CLIENT_AUTHENTICATION_FAILED, false);
  });

  it('requires client_id with client_secret', async () => {
    const res = await token({ client_secret: POST_SECRET });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it('refuses the body method for a client registered for client_secret_basic, without naming the registered method', async () => {
    expectInvalidClient(await token({ client_id: 'basic-app', client_secret: BASIC_SECRET }), CLIENT_AUTHENTICATION_FAILED, false);
  });
});

describe('RFC 6749 §2.3 exactly one authentication method', () => {
  it('refuses Basic together with client_secret', async () => {
    const res = await token({ client_id: 'basic-app', client_secret: BASIC_SECRET }, { Authorization: basic('basic-app', BASIC_SECRET) });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toMatch(/More than one client authentication method/);
  });

  it('refuses Basic together with a client assertion, and client_secret with a client assertion', async () => {
    const assertion = { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: 'a.b.c' };
    for (const res of [
      await token(assertion, { Authorization: basic('basic-app', BASIC_SECRET) }),
      await token({ client_id: 'post-app', client_secret: POST_SECRET, ...assertion }),
    ]) {
      expect(res.status).toBe(400);
      expect(res.body.error_description).toMatch(/More than one client authentication method/);
    }
  });

  it('refuses a request with no client identification at all', async () => {
    expectInvalidClient(await token({}), /Client authentication is required/, false);
  });

  it('ignores Authorization schemes other than Basic when looking for client credentials', async () => {
    expect((await token({ client_id: 'public-app' }, { Authorization: 'Bearer abc' })).status).toBe(200);
  });
});

describe('RFC 7591 §2 token_endpoint_auth_method none (public clients)', () => {
  it('identifies a public client by client_id alone', async () => {
    const res = await token({ client_id: 'public-app' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ client_id: 'public-app', method: 'none' });
  });

  it('accepts a public client at PAR and revocation (RFC 7009 §2.1)', async () => {
    expect((await postForm(h.url('/par'), { client_id: 'public-app' })).status).toBe(200);
    expect((await postForm(h.url('/revoke'), { client_id: 'public-app', token: 'x' })).status).toBe(200);
  });

  it('refuses a public client at introspection (RFC 7662 §2.1) exactly like an unknown client (no existence oracle)', async () => {
    const res = await postForm(h.url('/introspect'), { client_id: 'public-app', token: 'x' });
    const unknown = await postForm(h.url('/introspect'), { client_id: 'nobody', token: 'x' });
    expectInvalidClient(res, CLIENT_AUTHENTICATION_FAILED, false);
    expect(res.body).toEqual(unknown.body);
    const rows = await h.ctx.storage.audit.list({ event: 'client_authentication', clientId: 'public-app', limit: 10_000 });
    expect(rows.at(-1)?.reason).toMatch(/public client at the introspection endpoint/);
  });

  it('refuses client_id alone for a confidential client exactly like an unknown client (no existence or method oracle)', async () => {
    const confidential = await token({ client_id: 'basic-app' });
    const unknown = await token({ client_id: 'nobody' });
    expectInvalidClient(confidential, CLIENT_AUTHENTICATION_FAILED, false);
    expect(confidential.body).toEqual(unknown.body);
  });

  it('refuses a secret sent for a public client', async () => {
    expectInvalidClient(await token({ client_id: 'public-app', client_secret: 'anything' }), CLIENT_AUTHENTICATION_FAILED, false);
  });

  it('refuses an unknown public client like any unknown client', async () => {
    expectInvalidClient(await token({ client_id: 'nobody' }), CLIENT_AUTHENTICATION_FAILED, false);
  });
});
