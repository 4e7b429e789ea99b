import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ClientRecord } from '../../src/storage/records.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { createClient, pkce } from '../interaction/support/fixtures.ts';

let ts: TestServer;
let client: ClientRecord;
const challenge = pkce().challenge;

beforeAll(async () => {
  ts = await startTestServer({ authorizationDetailsTypes: [{ type: 'payment_initiation', description: '', fields: ['amount'], required: [] }] });
  client = await createClient(ts.server.ctx, { redirectUris: ['https://app.example.com/callback', 'http://127.0.0.1/cb'], requirePar: false });
});
afterAll(() => ts.close());

/** Plausible and hostile values for each parameter: valid ones, near misses and garbage. */
function valueFor(name: string): fc.Arbitrary<string> {
  const valid: Record<string, string[]> = {
    response_type: ['code', 'token', 'code id_token'],
    client_id: [client.clientId, 'unknown', ''],
    redirect_uri: ['https://app.example.com/callback', 'http://127.0.0.1:4567/cb', 'https://evil.example/cb', 'javascript:alert(1)'],
    code_challenge: [challenge, 'short'],
    code_challenge_method: ['S256', 'plain', 's256'],
    scope: ['openid', 'openid profile', 'bogus', '"'],
    resource: ['https://mcp.example.com/', 'urn:x', 'https://a#b'],
    prompt: ['none', 'login', 'consent', 'none login', 'x'],
    max_age: ['0', '-1', '99999999999', 'abc'],
    request_uri: ['urn:ietf:params:oauth:request_uri:abc', 'https://x'],
    request: ['e30.e30.'],
    authorization_details: ['[{"type":"payment_initiation","amount":"1"}]', '[]', '{', '[{"type":"x"}]', '[1]'],
    dpop_jkt: ['NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs', 'x'],
    state: ['s'],
    nonce: ['n'],
    acr_values: ['urn:mandate:acr:mfa'],
    response_mode: ['query', 'fragment', 'form_post'],
  };
  return fc.oneof(fc.constantFrom(...(valid[name] ?? ['x'])), fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }));
}

const NAMES = ['response_type', 'client_id', 'redirect_uri', 'code_challenge', 'code_challenge_method', 'scope', 'resource', 'prompt', 'max_age', 'request_uri', 'request', 'authorization_details', 'dpop_jkt', 'state', 'nonce', 'acr_values', 'response_mode', 'unknown_param'];

const requestArb = fc
  .array(fc.constantFrom(...NAMES).chain((name) => valueFor(name).map((value) => [name, value] as const)), { maxLength: 14 })
  .map((pairs) => {
    const q = new URLSearchParams();
    for (const [k, v] of pairs) q.append(k, v);
    return q;
  });

function checkAnswer(res: Response): void {
  expect([303, 400]).toContain(res.status);
  if (res.status === 303) {
    const target = res.headers.get('location') ?? '';
    if (target.startsWith(`${ts.issuer}/interaction/`)) return;
    // Redirected to the client: only ever to a registered URI (loopback port aside), always with iss.
    const url = new URL(target);
    const base = `${url.protocol}//${url.hostname}${url.pathname}`;
    expect(['https://app.example.com/callback', 'http://127.0.0.1/cb']).toContain(base);
    expect(url.searchParams.get('iss')).toBe(ts.issuer);
    expect(url.searchParams.get('error')).toBeTruthy();
  } else {
    expect(res.headers.get('location')).toBeNull();
  }
}

describe('RFC 6749 §4.1.2.1 fuzzed /authorize: never a 500, never a redirect to an unregistered URI', () => {
  it('GET with arbitrary parameter combinations', async () => {
    await fc.assert(
      fc.asyncProperty(requestArb, async (q) => {
        checkAnswer(await fetch(`${ts.issuer}/authorize?${q.toString()}`, { redirect: 'manual' }));
      }),
      { numRuns: 150 },
    );
  });

  it('POST with arbitrary bodies and content types', async () => {
    await fc.assert(
      fc.asyncProperty(requestArb, fc.constantFrom('application/x-www-form-urlencoded', 'text/plain', 'application/json'), async (q, type) => {
        checkAnswer(await fetch(`${ts.issuer}/authorize`, { method: 'POST', redirect: 'manual', headers: { 'content-type': type }, body: q.toString() }));
      }),
      { numRuns: 100 },
    );
  });
});

describe('RFC 9126 §2.3 fuzzed /par: only 201, 400 or 401, always JSON', () => {
  it('POST with arbitrary parameter combinations', async () => {
    await fc.assert(
      fc.asyncProperty(requestArb, fc.option(fc.string({ maxLength: 60 }), { nil: undefined }), async (q, dpop) => {
        const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
        if (dpop !== undefined && /^[\x21-\x7e]*$/.test(dpop)) headers.dpop = dpop;
        const res = await fetch(`${ts.issuer}/par`, { method: 'POST', headers, body: q.toString() });
        expect([201, 400, 401]).toContain(res.status);
        const body = (await res.json()) as Record<string, unknown>;
        if (res.status === 201) expect(typeof body.request_uri).toBe('string');
        else expect(typeof body.error).toBe('string');
      }),
      { numRuns: 150 },
    );
  });
});
