/**
 * Reading another issuer's JWT before verifying it (src/tokens/unverified-jwt.ts): the one place
 * that turns garbage into a failure code (too_long, malformed, no_issuer) that each grant maps to
 * its own OAuth error. Never throws, whatever the input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_UNVERIFIED_JWT_LENGTH,
  readUnverifiedClaims,
  readUnverifiedHeader,
  readUnverifiedJwt,
  requireUnverified,
  type UnverifiedJwtFailure,
  type UnverifiedRead,
} from '../../src/tokens/unverified-jwt.ts';

const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const HEADER = { alg: 'ES256', kid: 'k1', typ: 'JWT' };
const CLAIMS = { iss: 'https://issuer.example', sub: 'u1', aud: 'https://as.example', exp: 2_000_000_000 };
const jwt = (header: unknown = HEADER, claims: unknown = CLAIMS, signature = 'c2ln'): string => `${b64(header)}.${b64(claims)}.${signature}`;

const failureOf = <T>(read: UnverifiedRead<T>): UnverifiedJwtFailure | 'ok' => (read.ok ? 'ok' : read.failure);

describe('RFC 7519 §7.2 reading a JWT before verification (header and payload)', () => {
  it('returns the header, the claims and the claimed issuer of a compact JWS', () => {
    const token = jwt();
    expect(readUnverifiedJwt(token)).toEqual({ ok: true, value: { jwt: token, header: HEADER, claims: CLAIMS, iss: CLAIMS.iss } });
  });

  const malformed: [string, string][] = [
    ['not a JWT', 'not-a-jwt'],
    ['the empty string', ''],
    ['two segments', `${b64(HEADER)}.${b64(CLAIMS)}`],
    ['four segments', `${jwt()}.x`],
    ['a JWE (five segments)', `${b64(HEADER)}.a.b.c.d`],
    ['bad base64url in the payload', `${b64(HEADER)}.%%%.c2ln`],
    ['bad base64url in the header', `%%%.${b64(CLAIMS)}.c2ln`],
    ['a payload that is not JSON', `${b64(HEADER)}.${b64('not json')}.c2ln`],
    ['a header that is not JSON', `${b64('not json')}.${b64(CLAIMS)}.c2ln`],
    ['a JSON array payload', jwt(HEADER, [CLAIMS])],
    ['a JSON string payload', jwt(HEADER, '"https://issuer.example"')],
    ['a JSON array header', jwt([HEADER])],
    ['an empty payload', `${b64(HEADER)}..c2ln`],
  ];
  for (const [name, token] of malformed) {
    it(`${name}: malformed`, () => {
      expect(failureOf(readUnverifiedJwt(token))).toBe('malformed');
    });
  }

  const noIssuer: [string, unknown][] = [
    ['no iss', { sub: 'u1' }],
    ['iss a number', { iss: 42 }],
    ['iss an array', { iss: ['https://issuer.example'] }],
    ['iss null', { iss: null }],
    ['iss empty', { iss: '' }],
  ];
  for (const [name, claims] of noIssuer) {
    it(`${name}: no_issuer`, () => {
      expect(failureOf(readUnverifiedJwt(jwt(HEADER, claims)))).toBe('no_issuer');
    });
  }

  it('a malformed header is reported before a missing iss (RFC 7523 §3: not a well-formed JWT)', () => {
    expect(failureOf(readUnverifiedJwt(`%%%.${b64({ sub: 'u1' })}.c2ln`))).toBe('malformed');
  });

  it(`longer than ${MAX_UNVERIFIED_JWT_LENGTH} characters: too_long, even when well-formed; exactly at the bound it is read`, () => {
    const prefix = `${b64(HEADER)}.${b64(CLAIMS)}.`;
    const atBound = prefix + 'A'.repeat(MAX_UNVERIFIED_JWT_LENGTH - prefix.length); // the signature is not decoded here
    expect(failureOf(readUnverifiedJwt(atBound))).toBe('ok');
    expect(failureOf(readUnverifiedClaims(atBound))).toBe('ok');
    expect(failureOf(readUnverifiedJwt(`${atBound}A`))).toBe('too_long');
    expect(failureOf(readUnverifiedClaims(`${atBound}A`))).toBe('too_long');
  });

  it('never throws: any string is read or refused with a failure code', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.tuple(fc.string(), fc.string(), fc.string()).map((parts) => parts.join('.')), fc.tuple(fc.jsonValue(), fc.jsonValue()).map(([h, c]) => jwt(h, c))), (token) => {
        expect(['ok', 'too_long', 'malformed', 'no_issuer']).toContain(failureOf(readUnverifiedJwt(token)));
        expect(['ok', 'too_long', 'malformed', 'no_issuer']).toContain(failureOf(readUnverifiedClaims(token)));
      }),
      { numRuns: 300 },
    );
  });
});

describe('reading the payload only (choosing a verifier), then the header', () => {
  it('does not decode the header: a token with a malformed header still names its issuer', () => {
    const token = `%%%.${b64(CLAIMS)}.c2ln`;
    expect(readUnverifiedClaims(token)).toEqual({ ok: true, value: { jwt: token, claims: CLAIMS, iss: CLAIMS.iss } });
  });

  it('refuses the same garbage as the full read', () => {
    expect(failureOf(readUnverifiedClaims('not-a-jwt'))).toBe('malformed');
    expect(failureOf(readUnverifiedClaims(`${b64(HEADER)}.${b64(CLAIMS)}`))).toBe('malformed');
    expect(failureOf(readUnverifiedClaims(jwt(HEADER, [CLAIMS])))).toBe('malformed');
    expect(failureOf(readUnverifiedClaims(jwt(HEADER, { iss: 7 })))).toBe('no_issuer');
  });

  it('adds the header without decoding the payload again (the claims read are handed on as they are)', () => {
    const read = readUnverifiedClaims(jwt());
    if (!read.ok) throw new Error('expected a read');
    const full = readUnverifiedHeader(read.value);
    expect(full).toEqual({ ok: true, value: { ...read.value, header: HEADER } });
    if (full.ok) expect(full.value.claims).toBe(read.value.claims);
  });

  it('a malformed header after a good payload: malformed', () => {
    const read = readUnverifiedClaims(`${b64('not json')}.${b64(CLAIMS)}.c2ln`);
    if (!read.ok) throw new Error('expected a read');
    expect(failureOf(readUnverifiedHeader(read.value))).toBe('malformed');
  });
});

describe('requireUnverified: each caller names every failure in its own error', () => {
  const MESSAGES: Record<UnverifiedJwtFailure, string> = { too_long: 'too long', malformed: 'malformed', no_issuer: 'no issuer' };
  class CallerError extends Error {}
  const toError = (message: string) => new CallerError(message);

  it('returns the value read', () => {
    const token = jwt();
    expect(requireUnverified(readUnverifiedClaims(token), toError, MESSAGES)).toEqual({ jwt: token, claims: CLAIMS, iss: CLAIMS.iss });
  });

  it.each<[UnverifiedJwtFailure, string]>([
    ['too_long', 'x'.repeat(MAX_UNVERIFIED_JWT_LENGTH + 1)],
    ['malformed', 'not-a-jwt'],
    ['no_issuer', jwt(HEADER, { sub: 'u1' })],
  ])('throws the caller error with the description of %s', (failure, token) => {
    expect(() => requireUnverified(readUnverifiedJwt(token), toError, MESSAGES)).toThrow(new CallerError(MESSAGES[failure]));
    expect(() => requireUnverified(readUnverifiedJwt(token), toError, MESSAGES)).toThrow(CallerError);
  });
});
