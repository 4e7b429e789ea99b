/**
 * RFC 7523 §3 / RFC 7521 §4.1.1: an assertion that cannot even be read — not a compact JWS, bad
 * base64url, a payload that is not a JSON object, no string `iss` — is `invalid_grant` with the
 * reason, never a 500, and nothing is issued (read by src/tokens/unverified-jwt.ts before any key
 * is chosen).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64, CI_SUB, issuedCount, startFederationServer, type FederationServer } from './support.ts';

let f: FederationServer;
beforeAll(async () => {
  f = await startFederationServer();
});
afterAll(async () => {
  await f.close();
});

const HEADER = { alg: 'ES256', typ: 'JWT' };
const SIG = 'c2ln';

type Case = [name: string, make: (f: FederationServer) => string, reason: RegExp];

const cases: Case[] = [
  ['two segments', (f) => `${b64(HEADER)}.${b64(f.workloadClaims(CI_SUB))}`, /not a well-formed signed JWT \(RFC 7523 §3\)/],
  ['a JWE (five segments)', (f) => `${b64(HEADER)}.${b64(f.workloadClaims(CI_SUB))}.a.b.c`, /not a well-formed signed JWT/],
  ['bad base64url in the payload', () => `${b64(HEADER)}.%%%.${SIG}`, /not a well-formed signed JWT/],
  ['bad base64url in the header', (f) => `%%%.${b64(f.workloadClaims(CI_SUB))}.${SIG}`, /not a well-formed signed JWT/],
  ['a JSON array payload', (f) => `${b64(HEADER)}.${b64([f.workloadClaims(CI_SUB)])}.${SIG}`, /not a well-formed signed JWT/],
  ['a malformed header and no iss (malformed wins)', () => `%%%.${b64({ sub: CI_SUB })}.${SIG}`, /not a well-formed signed JWT/],
  ['iss a number', (f) => `${b64(HEADER)}.${b64(f.workloadClaims(CI_SUB, { iss: 42 }))}.${SIG}`, /must have an "iss" claim \(RFC 7523 §3 \(1\)\)/],
  ['iss an empty string', (f) => `${b64(HEADER)}.${b64(f.workloadClaims(CI_SUB, { iss: '' }))}.${SIG}`, /must have an "iss" claim/],
  ['longer than 16384 characters before it is decoded', () => `${'x'.repeat(16 * 1024 + 1)}`, /The assertion is longer than 16384 characters\./],
];

describe('RFC 7523 §3: an assertion that is not a readable JWT is invalid_grant', () => {
  for (const [name, make, reason] of cases) {
    it(`${name}: invalid_grant`, async () => {
      const before = await issuedCount(f);
      const res = await f.token({ client_id: 'ci-deployer', assertion: make(f) });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
      expect(res.body.error_description).toMatch(reason);
      expect(res.body.access_token).toBeUndefined();
      expect(await issuedCount(f)).toBe(before);
    });
  }
});
