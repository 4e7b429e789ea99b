/**
 * Property: whatever arrives at /register — arbitrary JSON (mostly plausible client metadata with
 * random values), random text, bytes that are not UTF-8, random content types — gets either a 201
 * with a stored client or a 400 with an RFC 7591 §3.2.2 error; never a 5xx. The clients table
 * holds exactly the clients that were answered 201 (nothing half-written), and every answered
 * registration reads back through RFC 7592 with its registration access token.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const REGISTRATION_ERRORS = new Set(['invalid_request', 'invalid_redirect_uri', 'invalid_client_metadata', 'invalid_software_statement', 'unapproved_software_statement']);

const uri = fc.oneof(
  fc.constantFrom('https://app.example.com/cb', 'http://127.0.0.1/callback', 'http://localhost:8080/cb', 'com.example.app:/cb', 'http://evil.example/cb', 'javascript:alert(1)', 'https://a.example/cb#f', '/relative', ''),
  fc.webUrl({ withFragments: true, withQueryParameters: true }),
  fc.string({ maxLength: 40 }),
);
const anyJson = fc.jsonValue({ maxDepth: 2 });

const metadata = fc.record(
  {
    redirect_uris: fc.oneof({ weight: 5, arbitrary: fc.array(uri, { maxLength: 3 }) }, { weight: 1, arbitrary: anyJson }),
    token_endpoint_auth_method: fc.oneof(fc.constantFrom('none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt', 'client_secret_jwt', 'tls_client_auth'), anyJson),
    grant_types: fc.oneof(fc.subarray(['authorization_code', 'refresh_token', 'client_credentials', 'implicit', 'password', 'urn:x']), anyJson),
    response_types: fc.oneof(fc.subarray(['code', 'token', 'id_token']), anyJson),
    application_type: fc.oneof(fc.constantFrom('web', 'native', 'desktop'), anyJson),
    client_name: fc.oneof(fc.string({ maxLength: 60 }), anyJson),
    logo_uri: uri,
    client_uri: uri,
    scope: fc.oneof(fc.constantFrom('openid', 'openid profile', 'mandate:admin', 'bad"scope', ''), fc.string({ maxLength: 30 })),
    jwks: fc.oneof(fc.constant({ keys: [{ kty: 'EC', crv: 'P-256', x: 'eA', y: 'eQ' }] }), fc.constant({ keys: [{ kty: 'oct', k: 'AA' }] }), anyJson),
    jwks_uri: uri,
    software_id: fc.oneof(fc.constantFrom('approved', 'other'), anyJson),
    software_statement: fc.string({ maxLength: 20 }),
    require_pushed_authorization_requests: fc.oneof(fc.boolean(), anyJson),
    dpop_bound_access_tokens: fc.oneof(fc.boolean(), anyJson),
    contacts: fc.oneof(fc.array(fc.emailAddress(), { maxLength: 2 }), anyJson),
    client_id: fc.string({ maxLength: 20 }),
    client_secret: fc.string({ maxLength: 20 }),
  },
  { requiredKeys: [] },
);

/** A valid registration with a few random fields on top, so successful paths are exercised too. */
const mostlyValid = fc
  .tuple(fc.string({ minLength: 1, maxLength: 40 }), fc.record({ scope: fc.constantFrom('openid', 'openid profile'), logo_uri: uri, application_type: fc.constantFrom('web', 'native') }, { requiredKeys: [] }))
  .map(([name, extra]) => ({ client_name: name, redirect_uris: ['http://127.0.0.1/callback'], token_endpoint_auth_method: 'none', software_id: 'approved', ...extra }));

const body = fc.oneof(
  { weight: 4, arbitrary: metadata.map((m) => JSON.stringify(m)) },
  { weight: 4, arbitrary: mostlyValid.map((m) => JSON.stringify(m)) },
  { weight: 1, arbitrary: anyJson.map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 100 }) },
);

const contentType = fc.oneof({ weight: 8, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', '') });

describe('RFC 7591 §3.2.2 property: /register answers arbitrary input with 201 or an RFC error', () => {
  for (const policy of ['open', 'allowlist'] as const) {
    describe(`policy ${policy}`, () => {
      let s: TestServer;
      beforeAll(async () => {
        s = await startTestServer({ dcr: { policy, softwareIds: ['approved'], ratePerMinute: 100_000 } });
      });
      afterAll(() => s.close());

      it('never answers 5xx and stores exactly the clients it answered 201 for', async () => {
        const created: { uri: string; token: string }[] = [];
        await fc.assert(
          fc.asyncProperty(body, contentType, async (payload, type) => {
            const res = await fetch(`${s.issuer}/register`, { method: 'POST', headers: type ? { 'content-type': type } : {}, body: payload });
            const json = (await res.json()) as Record<string, string>;
            if (res.status === 201) {
              created.push({ uri: json.registration_client_uri!, token: json.registration_access_token! });
              return;
            }
            expect(res.status).toBe(400);
            expect(REGISTRATION_ERRORS).toContain(json.error);
            expect(typeof json.error_description).toBe('string');
          }),
          { numRuns: 150 },
        );
        expect(created.length).toBeGreaterThan(0);
        expect(await s.server.ctx.storage.clients.list({ limit: 500 })).toHaveLength(created.length);
        for (const c of created.slice(0, 20)) {
          expect((await fetch(c.uri, { headers: { authorization: `Bearer ${c.token}` } })).status).toBe(200);
        }
      });
    });
  }
});
