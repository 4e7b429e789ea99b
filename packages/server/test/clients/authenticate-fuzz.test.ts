/**
 * RFC 6749 §2.3 / §5.2 robustness: arbitrary Authorization headers and client credential
 * parameters are answered with invalid_client (401) or invalid_request (400), never a 500, and
 * never authenticate anyone without the right credential.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CLIENT_ASSERTION_TYPE_JWT_BEARER } from '@mandate/protocol';
import { postForm, startHarness, type Harness } from '../dpop/harness.ts';

const SECRET = 'fuzz-secret-Zr8Qk2mV9xW4pL7nT1yB6cH3jD5fG0aS';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await h.createClient({ clientId: 'fuzz-basic', secret: SECRET, tokenEndpointAuthMethod: 'client_secret_basic' });
  await h.createClient({ clientId: 'fuzz-post', secret: SECRET, tokenEndpointAuthMethod: 'client_secret_post' });
  await h.createClient({ clientId: 'fuzz-jwt', tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tE1nIcTbR6Ijf2Ej6dFU5vyZnbqk' }] } });
});
afterAll(async () => {
  await h?.close();
});

/** Header values fetch can send (visible ASCII and spaces). */
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 120 });
const base64Of = (s: string) => Buffer.from(s).toString('base64');

describe('RFC 6749 §2.3 client authentication under arbitrary input', () => {
  it('answers arbitrary Basic credentials with 401 invalid_client and a challenge', async () => {
    const authorization = fc.oneof(
      headerText.map((t) => `Basic ${t}`),
      fc.tuple(fc.constantFrom('fuzz-basic', 'fuzz-post', 'nobody', ''), headerText).map(([id, secret]) => `Basic ${base64Of(`${id}:${secret}`)}`),
      fc.string({ maxLength: 60 }).map((t) => `basic ${base64Of(t)}`),
    );
    await fc.assert(
      fc.asyncProperty(authorization, async (value) => {
        const res = await postForm(h.url('/token'), { grant_type: 'client_credentials' }, { Authorization: value });
        expect(res.status).toBe(401);
        expect(res.body.error).toBe('invalid_client');
        expect(res.headers.get('www-authenticate')).toBe('Basic realm="mandate"');
      }),
      { numRuns: 120 },
    );
  });

  it('answers arbitrary credential parameters with invalid_client or invalid_request, never success', async () => {
    const value = fc.option(fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom('fuzz-basic', 'fuzz-post', 'fuzz-jwt', CLIENT_ASSERTION_TYPE_JWT_BEARER, 'a.b.c')), { nil: undefined });
    const form = fc.record({ client_id: value, client_secret: value, client_assertion: value, client_assertion_type: value });
    await fc.assert(
      fc.asyncProperty(form, async (fields) => {
        const body: Record<string, string> = { grant_type: 'client_credentials' };
        for (const [k, v] of Object.entries(fields)) if (v !== undefined) body[k] = v;
        const res = await postForm(h.url('/token'), body);
        expect([400, 401]).toContain(res.status);
        expect(res.body.error).toBe(res.status === 400 ? 'invalid_request' : 'invalid_client');
        expect(typeof res.body.error_description).toBe('string');
      }),
      { numRuns: 150 },
    );
  });
});
