/**
 * `private_key_jwt` (RFC 7523 §2.2 and §3, OIDC Core §9): the client authenticates with a JWT it
 * signed with one of its registered keys. RFC 7521 §4.2.1: every failure is `invalid_client`.
 *
 * Two kinds of failure: an assertion that cannot name a client at all (readAssertionCredentials,
 * before any lookup, so its precise answer says nothing about which clients exist) and an assertion
 * refused once its client was found (verifyClientAssertion). The latter are answered with the
 * generic description of an unknown client (failure.ts): telling "sign with ES256" to anyone who
 * sends an unsigned JWT with a guessed `sub` would reveal that the client exists, that it uses
 * private_key_jwt and its registered token_endpoint_auth_signing_alg. Their precise reason goes to
 * `detail` (audit and logs) only.
 */
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions, type KeyObject, type CryptoKey } from 'jose';
import { ASYMMETRIC_JWS_ALGS, CLIENT_ASSERTION_TYPE_JWT_BEARER, InvalidClientError, InvalidRequestError, isOAuthError } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import type { Params } from '../../http/params.ts';
import type { ClientRecord } from '../../storage/records.ts';
import { clientKeyResolver } from './jwks.ts';
import { clientEndpointUrl, type ClientEndpoint } from './endpoints.ts';
import { clientAuthenticationFailed } from './failure.ts';
import { MAX_UNVERIFIED_JWT_LENGTH } from '../../tokens/unverified-jwt.ts';
import { hasSoleAudience } from '../../checks/assertion-audience.ts';

/** Accepted clock difference between client and server, seconds. */
export const ASSERTION_LEEWAY = 60;
/** How far in the future `exp` may be: an assertion is for one request, not a reusable credential. */
export const MAX_ASSERTION_LIFETIME = 600;
export const MAX_ASSERTION_LENGTH = MAX_UNVERIFIED_JWT_LENGTH; // the bound of every JWT read before it is verified
const MAX_JTI_LENGTH = 256;
const AUD_RULE = "this server's issuer identifier or its token endpoint URL (RFC 7523 §3; at the PAR endpoint also its URL, RFC 9126 §2)";

export interface AssertionCredentials {
  clientId: string;
  assertion: string;
}

/** Before the client is looked up: the same answer whether or not the `sub` names a client. */
const malformed = (description: string): InvalidClientError => new InvalidClientError(description, { detail: description });
/** After the client was found: answered like an unknown client, the reason kept for the audit row. */
const refused = clientAuthenticationFailed;

/**
 * RFC 7521 §4.2: `client_assertion_type` and `client_assertion` go together. Returns null when
 * neither is present. The client is identified by the assertion's `sub` (RFC 7523 §3 (B)), which
 * is read here unverified only to find the client whose keys then verify it.
 */
export function readAssertionCredentials(params: Params): AssertionCredentials | null {
  const type = params.get('client_assertion_type');
  const assertion = params.get('client_assertion');
  if (type === undefined && assertion === undefined) return null;
  if (type === undefined) throw new InvalidRequestError('The client_assertion_type parameter is required with client_assertion (RFC 7521 §4.2).');
  if (assertion === undefined) throw new InvalidRequestError('The client_assertion parameter is required with client_assertion_type (RFC 7521 §4.2).');
  if (type !== CLIENT_ASSERTION_TYPE_JWT_BEARER) throw malformed(`Unsupported client_assertion_type; use ${CLIENT_ASSERTION_TYPE_JWT_BEARER} (RFC 7523 §2.2).`);
  if (assertion.length > MAX_ASSERTION_LENGTH) throw malformed(`The client_assertion is longer than ${MAX_ASSERTION_LENGTH} characters.`);
  let claims: JWTPayload;
  try {
    claims = decodeJwt(assertion);
  } catch {
    throw malformed('The client_assertion is not a well-formed JWT (RFC 7523 §3).');
  }
  if (typeof claims.sub !== 'string' || claims.sub === '') throw malformed('The client_assertion must have a "sub" claim: the client_id (RFC 7523 §3).');
  if (claims.iss !== claims.sub) throw malformed('The client_assertion "iss" and "sub" claims must both be the client_id (RFC 7523 §3).');
  const clientIdParam = params.get('client_id');
  if (clientIdParam !== undefined && clientIdParam !== claims.sub) {
    throw malformed('The client_id parameter does not match the "sub" claim of the client_assertion (RFC 7523 §3).');
  }
  return { clientId: claims.sub, assertion };
}

/**
 * RFC 7523 §3: "aud" identifies the authorization server, as ONE value (checks/assertion-audience.ts:
 * audience injection, draft-ietf-oauth-rfc7523bis). Accepted: the issuer identifier, the token
 * endpoint URL (OIDC Core §9) and, at the PAR endpoint only, the PAR endpoint URL (RFC 9126 §2).
 * Other endpoints' URLs (introspection, revocation, …) are not: they name one endpoint, not us.
 */
export function acceptedAudiences(issuer: string, endpoint: ClientEndpoint): string[] {
  const urls = [issuer, clientEndpointUrl(issuer, 'token')];
  if (endpoint === 'par') urls.push(clientEndpointUrl(issuer, 'par'));
  return [...new Set(urls)];
}

export async function verifyClientAssertion(ctx: ServerContext, client: ClientRecord, assertion: string, endpoint: ClientEndpoint): Promise<void> {
  const now = ctx.now();
  const algorithms = acceptedAssertionAlgs(client);
  checkAssertionAlg(assertion, algorithms);
  const audiences = acceptedAudiences(ctx.config.issuer, endpoint);
  const payload = await verifyAssertionJwt(assertion, registeredKeys(ctx, client), {
    issuer: client.clientId,
    subject: client.clientId,
    audience: audiences,
    algorithms: [...algorithms],
    requiredClaims: ['exp', 'jti'],
    currentDate: new Date(now * 1000),
    clockTolerance: ASSERTION_LEEWAY,
  });
  // jose accepted an array merely containing one of ours: an assertion for another party too is refused.
  if (!hasSoleAudience(payload.aud, audiences)) throw refused(`The client_assertion "aud" must be a single value, not an array of several: ${AUD_RULE}.`);
  const exp = payload.exp as number;
  if (exp > now + MAX_ASSERTION_LIFETIME + ASSERTION_LEEWAY) {
    throw refused(`The client_assertion "exp" is more than ${MAX_ASSERTION_LIFETIME} seconds in the future; assertions must be short-lived (RFC 7523 §3).`);
  }
  if (typeof payload.iat === 'number' && payload.iat > now + ASSERTION_LEEWAY) throw refused('The client_assertion "iat" is in the future; check the client clock.');
  const jti = payload.jti;
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) throw refused(`The client_assertion "jti" must be a string of 1 to ${MAX_JTI_LENGTH} characters (RFC 7523 §3).`);
  // RFC 7523 §3 (7): the server may keep jti values to refuse replays; kept until exp has passed for good.
  const first = await ctx.storage.replay.remember('client_assertion', `${client.clientId}:${jti}`, exp + ASSERTION_LEEWAY, now);
  if (!first) throw refused('The client_assertion has already been used (jti replay); sign a new assertion for every request (RFC 7523 §3).');
}

/**
 * Only asymmetric signatures: never `none`, never an HMAC keyed with something public. A client
 * that registered `token_endpoint_auth_signing_alg` gets that algorithm only (OpenID Connect
 * Dynamic Client Registration 1.0 §2: "All Token Requests using these authentication methods from
 * this Client MUST be rejected, if the JWT is not signed with this algorithm"). A registered value
 * outside the asymmetric set (registration refuses it; a record could still hold one) accepts none.
 */
function acceptedAssertionAlgs(client: ClientRecord): readonly string[] {
  const registered = client.metadata.token_endpoint_auth_signing_alg;
  if (registered === undefined) return ASYMMETRIC_JWS_ALGS;
  return (ASYMMETRIC_JWS_ALGS as readonly unknown[]).includes(registered) ? [registered as string] : [];
}

function checkAssertionAlg(assertion: string, accepted: readonly string[]): void {
  let alg: unknown;
  try {
    alg = decodeProtectedHeader(assertion).alg;
  } catch {
    throw refused('The client_assertion header is not valid base64url-encoded JSON.');
  }
  if (typeof alg !== 'string' || !accepted.includes(alg)) {
    const shown = typeof alg === 'string' ? `"${alg.slice(0, 20)}"` : 'missing';
    const expected = accepted.length > 0 ? `sign with ${accepted.length > 1 ? 'one of ' : ''}${accepted.join(', ')}` : 'the registered token_endpoint_auth_signing_alg is not supported';
    throw refused(`The client_assertion algorithm (alg ${shown}) is not accepted; ${expected}.`);
  }
}

/** The client's keys; a registration without usable keys (jwks.ts says why) is refused like any other failure. */
function registeredKeys(ctx: ServerContext, client: ClientRecord): JWTVerifyGetKey {
  try {
    return clientKeyResolver(ctx, client);
  } catch (err) {
    if (isOAuthError(err)) throw refused(err.detail ?? err.description);
    throw err;
  }
}

async function verifyAssertionJwt(assertion: string, keys: JWTVerifyGetKey, options: JWTVerifyOptions): Promise<JWTPayload> {
  try {
    return (await jwtVerify(assertion, keys, options)).payload;
  } catch (err) {
    // Several registered keys may match a header without "kid"; try each of them (jose leaves that to the caller).
    if (err instanceof errors.JWKSMultipleMatchingKeys) return verifyWithCandidates(assertion, err, options);
    throw refused(describeFailure(err));
  }
}

async function verifyWithCandidates(assertion: string, candidates: AsyncIterable<KeyObject | CryptoKey>, options: JWTVerifyOptions): Promise<JWTPayload> {
  let last: unknown = new errors.JWSSignatureVerificationFailed();
  for await (const key of candidates) {
    try {
      return (await jwtVerify(assertion, key, options)).payload;
    } catch (err) {
      last = err;
      if (!(err instanceof errors.JWSSignatureVerificationFailed)) break;
    }
  }
  throw refused(describeFailure(last));
}

function describeFailure(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'The client_assertion has expired.';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') return `The client_assertion must have a "${err.claim}" claim (RFC 7523 §3).`;
    if (err.claim === 'aud') return `The client_assertion "aud" must be ${AUD_RULE}.`;
    if (err.claim === 'iss' || err.claim === 'sub') return 'The client_assertion "iss" and "sub" claims must both be the client_id (RFC 7523 §3).';
    if (err.claim === 'nbf') return 'The client_assertion is not valid yet ("nbf").';
    return `The client_assertion "${err.claim}" claim is invalid.`;
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'The client_assertion signature does not verify with the client\'s registered keys.';
  if (err instanceof errors.JWKSNoMatchingKey) return 'No registered key of the client matches the client_assertion ("kid" and "alg").';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'The client_assertion algorithm is not accepted.';
  if (err instanceof errors.JWKSTimeout) return 'The client\'s jwks_uri did not answer in time.';
  if (err instanceof errors.JWKSInvalid) return 'The client\'s JWK Set is invalid.';
  if (err instanceof errors.JWTInvalid || err instanceof errors.JWSInvalid) return 'The client_assertion is not a well-formed signed JWT.';
  if (err instanceof errors.JOSENotSupported || err instanceof errors.JWKInvalid) return 'The client_assertion key or algorithm is not supported.';
  // Anything else: fetching jwks_uri failed (network, non-200, not JSON, too large) or a key is unusable.
  return 'The client\'s keys could not be obtained or used: its jwks_uri could not be fetched as a JWK Set, or a registered key is invalid.';
}
