/**
 * Property: /par (RFC 9126) and /introspect (RFC 7662) answer arbitrary input with the RFC's
 * status and a JSON error (or, for an authenticated introspection of garbage, `active: false`),
 * never a 5xx, and never store a pushed request that was refused.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { garbageDpopProof, printable } from '../helpers/arbitraries.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formBody, SECRET, startTokenServer, type TokenServer } from '../token/fixtures.ts';

const PAR_ERRORS = new Set(['invalid_request', 'invalid_client', 'invalid_scope', 'invalid_target', 'invalid_redirect_uri', 'unsupported_response_type', 'invalid_authorization_details', 'invalid_dpop_proof', 'use_dpop_nonce', 'unauthorized_client', 'request_not_supported', 'invalid_request_object']);
const INTROSPECTION_ERRORS = new Set(['invalid_request', 'invalid_client', 'unauthorized_client']);

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const WEB_AUTH = basic('web-app', SECRET.web);
const RS_AUTH = basic('resource-server', SECRET.rs);


const PAR_NAMES = ['response_type', 'client_id', 'redirect_uri', 'code_challenge', 'code_challenge_method', 'scope', 'resource', 'state', 'nonce', 'prompt', 'max_age', 'request_uri', 'request', 'authorization_details', 'dpop_jkt', 'acr_values', 'response_mode'];
const parValue = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.constantFrom('code', 'token', 'web-app', 'https://app.example/callback', 'https://evil.example/cb', 'S256', 'plain', 'openid', 'mcp:read', 'https://mcp.example/mcp', 'https://a#b', '[{"type":"x"}]', '{', 'none', 'urn:ietf:params:oauth:request_uri:x', 'a'.repeat(43)),
);
const parForm = fc
  .array(fc.tuple(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...PAR_NAMES) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) }), parValue), { maxLength: 12 })
  .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));

const anyBody = fc.oneof({ weight: 5, arbitrary: parForm }, { weight: 1, arbitrary: fc.string({ maxLength: 200 }) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) });
const contentType = fc.oneof({ weight: 6, arbitrary: fc.constant('application/x-www-form-urlencoded') }, { weight: 1, arbitrary: fc.constantFrom('application/json', 'text/plain', '') }, { weight: 1, arbitrary: printable(30) });
const authHeader = fc.option(fc.oneof({ weight: 4, arbitrary: fc.constant(WEB_AUTH) }, { weight: 1, arbitrary: printable(50).map((s) => `Basic ${s}`) }, { weight: 1, arbitrary: printable(50) }), { freq: 4, nil: undefined });
const dpopHeader = fc.option(garbageDpopProof(100), { freq: 5, nil: undefined });

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

async function send(path: string, payload: BodyInit, headers: Record<string, string>): Promise<{ status: number; type: string | null; json: Record<string, unknown> }> {
  const res = await fetch(`${server.issuer}${path}`, { method: 'POST', headers, body: payload });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`${path} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: res.status, type: res.headers.get('content-type'), json };
}

function headersOf(type: string, auth: string | undefined, dpop?: string): Record<string, string> {
  const headers: Record<string, string> = {};
  if (type !== '') headers['content-type'] = type;
  if (auth !== undefined) headers.authorization = auth;
  if (dpop !== undefined) headers.dpop = dpop;
  return headers;
}

describe('RFC 9126 §2.3 property: /par answers arbitrary input with an RFC error or a stored request, never 5xx', () => {
  it('holds for random pushed requests', async () => {
    const parRows = () => (db.prepare('select count(*) as n from par_requests').get() as { n: number }).n;
    let created = 0;
    const before = parRows();
    await fc.assert(
      fc.asyncProperty(anyBody, contentType, authHeader, dpopHeader, async (payload, type, auth, dpop) => {
        const res = await send('/par', payload, headersOf(type, auth, dpop));
        expect(res.status).toBeLessThan(500);
        expect(res.type).toMatch(/^application\/json/);
        if (res.status === 201) {
          created += 1;
          expect(String(res.json.request_uri)).toMatch(/^urn:ietf:params:oauth:request_uri:/);
          return;
        }
        expect([400, 401]).toContain(res.status);
        expect(PAR_ERRORS).toContain(res.json.error);
        expect(typeof res.json.error_description).toBe('string');
      }),
      { numRuns: 250 },
    );
    // A refused push stores nothing: only the accepted ones added rows.
    expect(parRows() - before).toBe(created);
  });
});

describe('RFC 7662 §2.1–2.3 property: /introspect answers arbitrary input with an RFC error or active:false, never 5xx', () => {
  const tokenValue = fc.oneof(fc.string({ maxLength: 300 }), fc.constant('eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiJ4In0.'), printable(200));
  const hint = fc.option(fc.constantFrom('access_token', 'refresh_token', 'id_token', 'bogus', ''), { nil: undefined });
  const introspectAuth = fc.option(fc.oneof({ weight: 4, arbitrary: fc.constant(RS_AUTH) }, { weight: 1, arbitrary: printable(50) }), { freq: 4, nil: undefined });

  it('holds for random tokens, hints, bodies and credentials', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ weight: 4, arbitrary: fc.tuple(tokenValue, hint).map(([token, h]) => formBody({ token, token_type_hint: h })) }, { weight: 1, arbitrary: anyBody }),
        contentType,
        introspectAuth,
        async (payload, type, auth) => {
          const res = await send('/introspect', payload, headersOf(type, auth));
          expect(res.status).toBeLessThan(500);
          expect(res.type).toMatch(/^application\/json/);
          if (res.status === 200) {
            // Nothing we never issued can be active, and an inactive answer says nothing more (RFC 7662 §2.2).
            expect(res.json).toEqual({ active: false });
            return;
          }
          expect([400, 401]).toContain(res.status);
          expect(INTROSPECTION_ERRORS).toContain(res.json.error);
        },
      ),
      { numRuns: 250 },
    );
  });
});
