/**
 * Who is calling: the access token from the Authorization header (RFC 6750 §2.1 / RFC 9449 §7.1),
 * verified, as an AuthContext. As a table of checks:
 *   token never in the query or body (TOK-1, RFC 9700 §2.5)       → 400 invalid_request
 *   header size bounded                                            → 400 invalid_request
 *   no Authorization                                               → 401, no error code (RFC 6750 §3.1)
 *   scheme Bearer or DPoP, one token68                             → 401 invalid_token / 400
 *   JWT verified locally, or introspected (RFC 7662)               → 401 invalid_token / 503
 *   DPoP-bound token: DPoP scheme + valid proof (RFC 9449 §7.1)    → 401 invalid_dpop_proof / use_dpop_nonce
 *   Bearer refused when DPoP is required                           → 401 invalid_token
 *   not revoked (RevocationSource)                                 → 401 invalid_token
 */
import { InvalidDpopProofError, InvalidRequestError, InvalidTokenError, MissingTokenError } from './errors.ts';
import type { AuthContext, RevocationSource } from './types.ts';
import { buildAuthContext, type IdentityOptions } from '../token/auth-context.ts';
import { looksLikeJwt, verifyJwtAccessToken, type JwtCheckOptions } from '../token/jwt.ts';
import { claimsFromIntrospection, type Introspector } from '../token/introspection.ts';
import { verifyDpop, type DpopSettings } from '../token/dpop.ts';
import type { JwksCache } from '../token/jwks.ts';

export interface Authenticator {
  jwks: JwksCache;
  jwt: JwtCheckOptions;
  identity: IdentityOptions;
  mode: 'jwt' | 'introspection';
  introspector: Introspector | undefined;
  revocation: RevocationSource | undefined;
  dpop: (DpopSettings & { required: boolean }) | undefined;
  maxHeaderBytes: number;
}

export interface IncomingCredentials {
  method: string;
  url: string;
  authorization: string | null;
  dpop: string | null;
}

const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

/** TOK-1: an access_token query parameter is a malformed request, whatever else is present. */
export function refuseQueryToken(url: string): void {
  if (new URL(url).searchParams.has('access_token')) throw new InvalidRequestError('access tokens are accepted only in the Authorization header');
}

export function readAuthorization(header: string | null, maxBytes: number): { scheme: 'Bearer' | 'DPoP'; token: string } {
  if (header === null || header.trim() === '') throw new MissingTokenError('');
  if (header.length > maxBytes) throw new InvalidRequestError('the Authorization header is too large');
  const match = /^(\S+) +(\S+)$/.exec(header.trim());
  if (!match) throw new InvalidRequestError('the Authorization header must be "<scheme> <token>"');
  const scheme = match[1]!.toLowerCase();
  const token = match[2]!;
  if (scheme !== 'bearer' && scheme !== 'dpop') throw new InvalidTokenError('the Authorization scheme must be Bearer or DPoP');
  if (!TOKEN68.test(token)) throw new InvalidRequestError('the access token is malformed');
  return { scheme: scheme === 'dpop' ? 'DPoP' : 'Bearer', token };
}

async function claimsOf(a: Authenticator, token: string): Promise<{ claims: Record<string, unknown>; source: 'jwt' | 'introspection' }> {
  if (a.mode === 'jwt' && looksLikeJwt(token)) return { claims: { ...(await verifyJwtAccessToken(token, a.jwks, a.jwt)) }, source: 'jwt' };
  if (!a.introspector) throw new InvalidTokenError('the access token is not a JWT and this server does not introspect tokens');
  const answer = await a.introspector.introspect(token);
  return { claims: claimsFromIntrospection(answer, a.jwt.issuer, a.jwt.resource, a.jwt.now(), a.jwt.leewaySeconds, a.jwt.audience), source: 'introspection' };
}

function bindingOf(claims: Record<string, unknown>): string | undefined {
  const cnf = claims.cnf;
  if (cnf === null || typeof cnf !== 'object') return undefined;
  const jkt = (cnf as { jkt?: unknown }).jkt;
  return typeof jkt === 'string' ? jkt : undefined;
}

export async function authenticate(a: Authenticator, req: IncomingCredentials): Promise<AuthContext> {
  refuseQueryToken(req.url);
  if (req.dpop !== null && req.dpop.length > a.maxHeaderBytes) throw new InvalidRequestError('the DPoP header is too large');
  const { scheme, token } = readAuthorization(req.authorization, a.maxHeaderBytes);
  const { claims, source } = await claimsOf(a, token);
  const jkt = bindingOf(claims);
  if (jkt !== undefined || scheme === 'DPoP') {
    // RFC 9449 §7.1: a bound token is never a bearer token, and the DPoP scheme needs a bound token.
    if (scheme !== 'DPoP') throw new InvalidTokenError('a DPoP-bound access token must be presented with the DPoP scheme and a proof');
    if (!a.dpop) throw new InvalidDpopProofError('this resource server does not accept DPoP');
    await verifyDpop({ proof: req.dpop ?? undefined, method: req.method, url: req.url, accessToken: token, jkt }, a.dpop);
  } else if (a.dpop?.required) {
    throw new InvalidTokenError('this resource server accepts only DPoP-bound access tokens');
  }
  const auth = buildAuthContext(token, scheme, source, claims, a.identity);
  if (a.revocation && (await a.revocation.isRevoked(auth))) throw new InvalidTokenError('the access token has been revoked');
  return auth;
}
