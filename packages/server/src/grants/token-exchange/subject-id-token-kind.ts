/**
 * Is this JWT of a trusted OpenID Provider an ID token at all (RFC 8725 §3.11, "explicit
 * typing", and §2.8 "cross-JWT confusion")? OpenID Providers sign several kinds of JWT with the
 * same keys, same `iss` and often the same `aud` (our client id there), and most send them with
 * `typ: JWT` or none — so the header alone cannot tell them apart:
 *
 * - a Back-Channel Logout token (OpenID Connect Back-Channel Logout 1.0 §2.4) has iss, sub, aud,
 *   iat, exp like an ID token, plus `events`; the spec has it carry no `nonce` precisely "to
 *   prevent its misuse as an ID Token". Any Security Event Token (RFC 8417 §2.2) has `events`.
 * - a JWT access token (RFC 9068 §2.2) has `client_id` and usually `scope`; vendors' access
 *   tokens carry `scp` (Okta, Entra ID), `token_use: access` (Amazon Cognito) or a payload
 *   `typ` of `Bearer` (Keycloak, whose ID tokens say `ID`). An ID-JAG has `client_id` as well.
 *
 * None of these claims belongs to an ID token (OIDC Core §2), so their presence refuses it: a
 * token meant to log a user out, or to call an API, never becomes a login here.
 */
import type { JWTHeaderParameters, JWTPayload } from 'jose';
import { InvalidRequestError } from '@mandate/protocol';
import { truncate } from './request.ts';

/** RFC 7519 §5.1 recommends "JWT"; OpenID Providers send that or nothing. Anything else is another kind of JWT. */
const ID_TOKEN_TYPS = new Set(['jwt', 'application/jwt']);

/** Claims that mark another kind of JWT, with what they mark (for the error description). */
const FOREIGN_CLAIMS: readonly [string, string][] = [
  ['events', 'a security event or logout token (RFC 8417, Back-Channel Logout §2.4)'],
  ['client_id', 'an access token or ID-JAG (RFC 9068 §2.2)'],
  ['scope', 'an access token (RFC 9068 §2.2.3)'],
  ['scp', 'an access token'],
];

/** Vendor claims naming the token's kind: allowed only with the value that means "ID token". */
const KIND_CLAIMS: readonly [string, string][] = [
  ['token_use', 'id'], // Amazon Cognito
  ['typ', 'id'], // Keycloak (payload claim, not the JOSE header)
];

export function checkIdTokenTyp(header: JWTHeaderParameters): void {
  if (header.typ === undefined) return;
  if (typeof header.typ !== 'string' || !ID_TOKEN_TYPS.has(header.typ.toLowerCase())) {
    throw new InvalidRequestError(`The subject_token is not an ID token (JWT typ '${truncate(String(header.typ), 40)}'): send it with its own subject_token_type.`);
  }
}

export function checkIdTokenClaims(claims: JWTPayload): void {
  for (const [name, kind] of FOREIGN_CLAIMS) {
    if (Object.hasOwn(claims, name)) throw new InvalidRequestError(`The subject_token is not an ID token: its "${name}" claim marks ${kind}.`);
  }
  for (const [name, value] of KIND_CLAIMS) {
    if (!Object.hasOwn(claims, name)) continue;
    const actual = claims[name];
    if (typeof actual !== 'string' || actual.toLowerCase() !== value) {
      throw new InvalidRequestError(`The subject_token is not an ID token: its "${name}" claim is '${truncate(String(actual), 40)}'.`);
    }
  }
}
