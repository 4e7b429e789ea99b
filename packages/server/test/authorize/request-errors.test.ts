import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientRecord } from '../../src/storage/records.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { TestBrowser } from '../interaction/support/browser.ts';
import { authorizeUrl, createClient, pkce, validParams } from '../interaction/support/fixtures.ts';
import { location } from '../interaction/support/flow.ts';

let ts: TestServer;
let client: ClientRecord;
const challenge = pkce().challenge;

beforeAll(async () => {
  ts = await startTestServer({
    resources: ['https://mcp.example.com/mcp'],
    authorizationDetailsTypes: [{ type: 'account_information', description: 'Read accounts', fields: ['accounts'], required: [] }],
  });
  client = await createClient(ts.server.ctx, { redirectUris: ['https://app.example.com/callback', 'https://app.example.com/other'], scope: 'openid profile' });
});
afterAll(() => ts.close());

async function expectErrorPage(url: string, init?: RequestInit): Promise<string> {
  const res = await fetch(url, { redirect: 'manual', ...init });
  const body = await res.text();
  expect(res.status).toBe(400);
  expect(res.headers.get('location')).toBeNull();
  expect(res.headers.get('content-type')).toContain('text/html');
  expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(body).toContain('<html lang="en">');
  return body;
}

async function expectErrorRedirect(params: Record<string, string | string[] | undefined>, error: string): Promise<URLSearchParams> {
  const res = await new TestBrowser().get(authorizeUrl(ts.issuer, params));
  expect(res.status).toBe(303);
  const target = new URL(location(res));
  expect(`${target.origin}${target.pathname}`).toBe(params.redirect_uri ?? client.redirectUris[0]);
  const q = target.searchParams;
  expect(q.get('error')).toBe(error);
  expect(q.get('error_description')).toBeTruthy();
  expect(q.get('iss')).toBe(ts.issuer); // RFC 9207 §2: on errors too
  expect(q.get('state')).toBe(params.state);
  expect(q.get('code')).toBeNull();
  return q;
}

describe('RFC 6749 §4.1.2.1 errors before the redirect URI is trusted are shown, never redirected', () => {
  it('unknown client_id → error page', async () => {
    const body = await expectErrorPage(authorizeUrl(ts.issuer, { ...validParams(client, challenge), client_id: 'no-such-client' }));
    expect(body).toContain('invalid_client');
  });

  it('missing client_id → error page', async () => {
    await expectErrorPage(authorizeUrl(ts.issuer, { ...validParams(client, challenge), client_id: undefined }));
  });

  it('unregistered redirect_uri → error page, even with other errors present', async () => {
    const body = await expectErrorPage(
      authorizeUrl(ts.issuer, { ...validParams(client, challenge), redirect_uri: 'https://evil.example.net/callback', response_type: 'token' }),
    );
    expect(body).not.toContain('evil.example.net');
  });

  it('redirect_uri differing only by a trailing slash, case or extra query → error page (exact match, RFC 9700 §4.1.3)', async () => {
    for (const redirect of ['https://app.example.com/callback/', 'https://APP.example.com/callback', 'https://app.example.com/callback?x=1', 'https://app.example.com/callback#f']) {
      await expectErrorPage(authorizeUrl(ts.issuer, { ...validParams(client, challenge), redirect_uri: redirect }));
    }
  });

  it('redirect_uri omitted while several are registered → error page (OAuth 2.1 §4.1.1)', async () => {
    await expectErrorPage(authorizeUrl(ts.issuer, { ...validParams(client, challenge), redirect_uri: undefined }));
  });

  it('a repeated parameter → error page (RFC 6749 §3.1)', async () => {
    const url = authorizeUrl(ts.issuer, validParams(client, challenge)) + `&client_id=${encodeURIComponent(client.clientId)}`;
    const body = await expectErrorPage(url);
    expect(body).toContain('must not be repeated');
  });

  it('a POST with the wrong content type → error page', async () => {
    await expectErrorPage(`${ts.issuer}/authorize`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  });
});

describe('RFC 9207 §2 / RFC 6749 §4.1.2.1 later errors redirect with error, state and iss', () => {
  it('response_type other than code → unsupported_response_type', async () => {
    await expectErrorRedirect({ ...validParams(client, challenge), response_type: 'token' }, 'unsupported_response_type');
    await expectErrorRedirect({ ...validParams(client, challenge), response_type: 'code id_token' }, 'unsupported_response_type');
  });

  it('response_type missing → invalid_request', async () => {
    await expectErrorRedirect({ ...validParams(client, challenge), response_type: undefined }, 'invalid_request');
  });

  it('response_mode other than query → invalid_request', async () => {
    await expectErrorRedirect({ ...validParams(client, challenge), response_mode: 'fragment' }, 'invalid_request');
  });

  it('a client not registered for the authorization_code grant → unauthorized_client', async () => {
    const machine = await createClient(ts.server.ctx, { grantTypes: ['client_credentials'], responseTypes: [] });
    await expectErrorRedirect(validParams(machine, challenge), 'unauthorized_client');
  });

  it('request objects (JAR) → request_not_supported', async () => {
    await expectErrorRedirect({ ...validParams(client, challenge), request: 'eyJhbGciOiJub25lIn0.e30.' }, 'request_not_supported');
  });

  it('an invalid scope → invalid_scope', async () => {
    await expectErrorRedirect({ ...validParams(client, challenge), scope: 'openid unknown_scope' }, 'invalid_scope');
    await expectErrorRedirect({ ...validParams(client, challenge), scope: 'openid "quoted"' }, 'invalid_scope');
  });

  it('a scope the server supports but the client may not request → invalid_scope', async () => {
    await expectErrorRedirect({ ...validParams(client, challenge), scope: 'openid email' }, 'invalid_scope');
  });

  it('an unknown or malformed resource → invalid_target (RFC 8707 §2)', async () => {
    await expectErrorRedirect({ ...validParams(client, challenge), resource: 'https://other.example.com/' }, 'invalid_target');
    await expectErrorRedirect({ ...validParams(client, challenge), resource: 'not a uri' }, 'invalid_target');
    await expectErrorRedirect({ ...validParams(client, challenge), resource: ['https://mcp.example.com/mcp', 'https://mcp.example.com/mcp#frag'] }, 'invalid_target');
  });

  it('invalid authorization_details → invalid_authorization_details (RFC 9396 §5)', async () => {
    await expectErrorRedirect({ ...validParams(client, challenge), authorization_details: 'not json' }, 'invalid_authorization_details');
    await expectErrorRedirect({ ...validParams(client, challenge), authorization_details: '[{"type":"unknown"}]' }, 'invalid_authorization_details');
    await expectErrorRedirect(
      { ...validParams(client, challenge), authorization_details: '[{"type":"account_information","amount":"1"}]' },
      'invalid_authorization_details',
    );
  });

  it('a malformed dpop_jkt → invalid_request (RFC 9449 §10)', async () => {
    await expectErrorRedirect({ ...validParams(client, challenge), dpop_jkt: 'short' }, 'invalid_request');
  });

  it('prompt=none combined with another value, or an unknown prompt → invalid_request (OIDC Core §3.1.2.1)', async () => {
    await expectErrorRedirect({ ...validParams(client, challenge), prompt: 'none login' }, 'invalid_request');
    await expectErrorRedirect({ ...validParams(client, challenge), prompt: 'sideways' }, 'invalid_request');
  });

  it('a max_age that is not a non-negative integer → invalid_request', async () => {
    await expectErrorRedirect({ ...validParams(client, challenge), max_age: '-1' }, 'invalid_request');
    await expectErrorRedirect({ ...validParams(client, challenge), max_age: '1e3' }, 'invalid_request');
  });

  it('state is echoed exactly, and omitted when it was not sent', async () => {
    const odd = 'a b&c=d/é?';
    await expectErrorRedirect({ ...validParams(client, challenge), state: odd, response_type: 'token' }, 'unsupported_response_type');
    const res = await new TestBrowser().get(authorizeUrl(ts.issuer, { ...validParams(client, challenge), state: undefined, response_type: 'token' }));
    const q = new URL(location(res)).searchParams;
    expect(q.has('state')).toBe(false);
    expect(q.get('iss')).toBe(ts.issuer);
  });
});

describe('RFC 7636 / OAuth 2.1 §4.1.1 PKCE is required for every client, S256 only', () => {
  it('a missing code_challenge → invalid_request', async () => {
    const q = await expectErrorRedirect({ ...validParams(client, challenge), code_challenge: undefined }, 'invalid_request');
    expect(q.get('error_description')).toContain('code_challenge');
  });

  it('a missing code_challenge for a confidential client → invalid_request too', async () => {
    const confidential = await createClient(ts.server.ctx, { tokenEndpointAuthMethod: 'client_secret_basic', clientSecretHash: 'x'.repeat(43) });
    await expectErrorRedirect({ ...validParams(confidential, challenge), code_challenge: undefined }, 'invalid_request');
  });

  it('code_challenge_method=plain → invalid_request', async () => {
    const q = await expectErrorRedirect({ ...validParams(client, challenge), code_challenge_method: 'plain' }, 'invalid_request');
    expect(q.get('error_description')).toContain('S256');
  });

  it('an absent code_challenge_method (which means plain, RFC 7636 §4.3) → invalid_request', async () => {
    await expectErrorRedirect({ ...validParams(client, challenge), code_challenge_method: undefined }, 'invalid_request');
  });

  it('a challenge that cannot be a base64url SHA-256 → invalid_request', async () => {
    await expectErrorRedirect({ ...validParams(client, challenge), code_challenge: 'too-short' }, 'invalid_request');
    await expectErrorRedirect({ ...validParams(client, challenge), code_challenge: `${challenge.slice(0, 42)}=` }, 'invalid_request');
  });
});
