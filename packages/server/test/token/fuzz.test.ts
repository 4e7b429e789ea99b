/**
 * Property: whatever arrives at /token without valid credentials and a valid grant — arbitrary
 * form bodies, random grant types, random content types, garbage DPoP and Authorization
 * headers, bytes that are not UTF-8 — gets a 400 or 401 with a JSON error from the RFC set, and
 * nothing is written to the access-token table.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { garbageDpopProof, printable } from '../helpers/arbitraries.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formBody, startTokenServer, type TokenServer } from './fixtures.ts';

/** RFC 6749 §5.2, RFC 8707 §2, RFC 9449 §5/§8, RFC 9396 §5: every error /token may answer with. */
const TOKEN_ERRORS = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'invalid_target',
  'invalid_dpop_proof',
  'use_dpop_nonce',
  'invalid_authorization_details',
]);

const SERVED_GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'];
const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', 'password', 'implicit', 'urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:jwt-bearer'];
const PARAM_NAMES = ['grant_type', 'code', 'code_verifier', 'redirect_uri', 'client_id', 'client_secret', 'client_assertion', 'client_assertion_type', 'refresh_token', 'scope', 'resource', 'authorization_details', 'audience'];
/** Real client ids reach the deeper checks; none of them can succeed without secrets, codes or tokens we never put in the pool. */
const CLIENT_IDS = ['public-app', 'public-app', 'public-app', 'dpop-app', 'web-app', 'machine'];
const CONTENT_TYPES = ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8', 'application/json', 'text/plain', 'multipart/form-data; boundary=zz', ''];


const paramValue = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(...GRANT_TYPES),
  fc.constantFrom(...CLIENT_IDS),
  fc.constantFrom('openid mcp:read', 'mcp:read', 'https://mcp.example/mcp', 'http://127.0.0.1/callback', '[{"type":"x"}]', 'eyJhbGciOiJub25lIn0.e30.', 'a'.repeat(43), ''),
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('base64url')),
);

const formEntries = fc.array(fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...PARAM_NAMES) }, { weight: 1, arbitrary: fc.string({ maxLength: 20 }) }), paramValue), { maxLength: 10 });

/** Mostly plausible requests (a grant type and a client id), so the grant checks themselves are exercised. */
const plausibleForm = fc
  .record({
    grant_type: fc.option(
      fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...SERVED_GRANT_TYPES) }, { weight: 1, arbitrary: fc.constantFrom(...GRANT_TYPES) }, { weight: 1, arbitrary: fc.string({ maxLength: 30 }) }),
      { freq: 10, nil: undefined },
    ),
    client_id: fc.option(fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...CLIENT_IDS) }, { weight: 1, arbitrary: fc.string({ maxLength: 30 }) }), { freq: 10, nil: undefined }),
    extra: formEntries,
  })
  .map(({ grant_type, client_id, extra }) => formBody({ ...Object.fromEntries(extra), grant_type, client_id }));

const body = fc.oneof(
  { weight: 6, arbitrary: plausibleForm },
  // Repeated parameters survive only in a hand-built body.
  { weight: 1, arbitrary: formEntries.map((entries) => entries.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
);

const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/x-www-form-urlencoded') },
  { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
  { weight: 1, arbitrary: printable(40) },
);

/** Grant parameters only, from a public client: every request passes client authentication and meets the grant checks. */
const GRANT_PARAMS = ['code', 'code_verifier', 'redirect_uri', 'refresh_token', 'scope', 'resource', 'authorization_details'];
const grantForm = fc
  .record({
    grant_type: fc.constantFrom(...SERVED_GRANT_TYPES),
    client_id: fc.constantFrom('public-app', 'dpop-app'),
    params: fc.array(fc.tuple(fc.constantFrom(...GRANT_PARAMS), paramValue), { maxLength: 8 }),
  })
  .map(({ grant_type, client_id, params }) => formBody({ ...Object.fromEntries(params), grant_type, client_id }));

const optionalHeader = (values: fc.Arbitrary<string>) => fc.option(values, { freq: 4, nil: undefined });
const authorization = optionalHeader(fc.oneof(fc.constant('Basic d2ViLWFwcDp3cm9uZw=='), printable(60).map((s) => `Basic ${s}`), printable(60)));
const dpop = optionalHeader(garbageDpopProof(120));
/**
 * For the grant property, half the requests carry no DPoP header: a garbage proof stops a request
 * before the grant checks. With 3 in 4 carrying one, about 1 seed in 40 drew 300 requests of which
 * none reached invalid_grant, failing the coverage check below (a flake, not a server fault).
 */
const grantDpop = fc.option(garbageDpopProof(120), { freq: 2, nil: undefined });

describe('RFC 6749 §5.2 property: /token answers arbitrary input with an RFC error, never 5xx, never a token', () => {
  let server: TokenServer;
  let db: Database.Database;
  beforeAll(async () => {
    server = await startTokenServer();
    db = new Database(server.ctx.config.databaseUrl, { readonly: true, fileMustExist: true });
  });
  afterAll(async () => {
    db?.close();
    await server?.close();
  });

  /** Sends one request and checks the answer is an RFC error; returns the error code. */
  async function expectRfcError(payload: BodyInit, headers: Record<string, string>): Promise<string> {
    const res = await fetch(server.tokenUrl, { method: 'POST', headers, body: payload });
    const text = await res.text();
    expect([400, 401]).toContain(res.status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const parsed = JSON.parse(text) as { error?: unknown; error_description?: unknown };
    expect(TOKEN_ERRORS).toContain(parsed.error);
    expect(typeof parsed.error_description).toBe('string');
    return String(parsed.error);
  }

  const accessTokenRows = () => (db.prepare('select count(*) as n from access_tokens').get() as { n: number }).n;

  it('holds for random requests', async () => {
    const before = accessTokenRows();
    await fc.assert(
      fc.asyncProperty(body, contentType, authorization, dpop, async (payload, type, auth, proof) => {
        const headers: Record<string, string> = {};
        if (type !== '') headers['content-type'] = type;
        if (auth !== undefined) headers.authorization = auth;
        if (proof !== undefined) headers.dpop = proof;
        await expectRfcError(payload, headers);
      }),
      { numRuns: 300 },
    );
    expect(accessTokenRows()).toBe(before);
  });

  it('holds for random grant parameters of an identified public client', async () => {
    const before = accessTokenRows();
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(grantForm, grantDpop, async (payload, proof) => {
        const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
        if (proof !== undefined) headers.dpop = proof;
        seen.add(await expectRfcError(payload, headers));
      }),
      { numRuns: 300 },
    );
    expect(accessTokenRows()).toBe(before);
    // The requests went past client authentication into the grants' own checks.
    expect(seen).toContain('invalid_grant');
  });
});
