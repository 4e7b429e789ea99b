/**
 * RFC 9068 §4 validation of a JWT access token, as a table of checks:
 *   alg in the allowlist (never `none` or HS*: §4 step 3, RFC 8725 §3.1)  jose `algorithms`
 *   typ = at+jwt (§4 step 1)                                              jose `typ`
 *   signature with the AS's JWKS (§4 step 3)                              JwksCache.getKey
 *   iss exact (§4 step 2)                                                 jose `issuer`
 *   aud contains our canonical resource URI exactly (§4 step 2, TOK-2)    jose `audience`
 *   ... and names nothing else, unless audience 'includes' (TOK-2)        checkAudience
 *   exp / nbf with leeway, iat not in the future (§4 step 6)               jose + checkIat
 */
import { errors, jwtVerify, type JWTPayload } from 'jose';
import { InvalidTokenError, TemporarilyUnavailableError } from '../core/errors.ts';
import type { JwksCache } from './jwks.ts';
import type { VerifiedTokenCache } from './verified-cache.ts';

/** Asymmetric algorithms only. */
export const DEFAULT_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];

export interface JwtCheckOptions {
  issuer: string;
  resource: string;
  algorithms: string[];
  leewaySeconds: number;
  /**
   * 'exact' (default): `aud` must be this resource and nothing else. 'includes': `aud` may also
   * name other resources. A token for [this, X] can be replayed here by X (RFC 8707 §1, RFC 9700
   * §2.3: audience-restricted tokens), so several audiences are refused unless opted in.
   */
  audience?: AudienceMatch;
  now: () => number;
  /** Signature verdicts reused for the same token text (time claims are re-checked). */
  cache?: VerifiedTokenCache;
}

export type AudienceMatch = 'exact' | 'includes';

/** TOK-2 beyond jose's `includes`: the token is for this resource alone (one audience). */
export function checkAudience(aud: unknown, resource: string, match: AudienceMatch = 'exact'): void {
  const list = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  if (!list.includes(resource)) throw new InvalidTokenError('the access token was not issued for this resource');
  if (match === 'exact' && list.some((a) => a !== resource)) throw new InvalidTokenError('the access token was issued for other resources too; only tokens for this resource alone are accepted');
}

export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

function checkIat(payload: JWTPayload, now: number, leeway: number): void {
  if (typeof payload.iat !== 'number') throw new InvalidTokenError('the access token has no iat');
  if (payload.iat > now + leeway) throw new InvalidTokenError('the access token was issued in the future');
}

function describe(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'the access token has expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return 'the access token was not issued for this resource';
    if (err.claim === 'iss') return 'the access token was not issued by the expected authorization server';
    if (err.claim === 'typ') return 'the token is not an RFC 9068 access token (typ at+jwt)';
    return `the access token ${err.claim} claim is invalid`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return 'the access token algorithm is not allowed';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'the access token signature is invalid';
  if (err instanceof errors.JWKSNoMatchingKey) return 'the access token was signed with an unknown key';
  return 'the access token is malformed';
}

/** exp / nbf of a payload verified earlier (RFC 7519 §4.1.4, §4.1.5), with the leeway. */
function checkTimes(payload: JWTPayload, now: number, leeway: number): void {
  if (typeof payload.exp !== 'number' || payload.exp + leeway <= now) throw new InvalidTokenError('the access token has expired');
  if (typeof payload.nbf === 'number' && payload.nbf - leeway > now) throw new InvalidTokenError('the access token is not valid yet');
}

export async function verifyJwtAccessToken(token: string, jwks: JwksCache, o: JwtCheckOptions): Promise<JWTPayload> {
  const cached = o.cache?.get(token, o.now());
  if (cached) {
    checkTimes(cached, o.now(), o.leewaySeconds);
    return cached;
  }
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, jwks.getKey, {
      algorithms: o.algorithms,
      typ: 'at+jwt',
      issuer: o.issuer,
      audience: o.resource,
      clockTolerance: o.leewaySeconds,
      requiredClaims: ['exp', 'iat', 'sub', 'client_id'],
      currentDate: new Date(o.now() * 1000),
    }));
  } catch (err) {
    if (err instanceof errors.JOSEError) throw new InvalidTokenError(describe(err));
    // Not a JOSE verdict: the keys could not be obtained (AS unreachable with nothing cached).
    // Answered before authentication: the reason (the AS's internal URLs) stays in `cause`.
    throw Object.assign(new TemporarilyUnavailableError('the access token cannot be verified now'), { cause: err });
  }
  checkAudience(payload.aud, o.resource, o.audience);
  checkIat(payload, o.now(), o.leewaySeconds);
  o.cache?.set(token, payload, o.now());
  return payload;
}
