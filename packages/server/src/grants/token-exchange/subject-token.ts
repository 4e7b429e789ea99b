/**
 * The subject token (RFC 8693 §2.1): whom the new token is about. This file dispatches on
 * `subject_token_type` (and, for ID tokens, on the issuer) and verifies this server's own tokens:
 *
 * | subject_token_type | issuer | verified by |
 * |---|---|---|
 * | `access_token` | this server (RFC 9068, live per endpoints/token-state.ts) | this file |
 * | `id_token` | this server, issued to the requesting client (OIDC Core §2), recorded with its grant | this file |
 * | `id_token` | a trusted OpenID Provider (`federation.idTokenIssuers`) | subject-federated-id-token.ts |
 * | `id-jag` | a trusted ID-JAG issuer (`federation.idJagIssuers`), never this server | subject-id-jag.ts |
 *
 * §2.2.2: a subject token that is invalid "for any reason, or unacceptable based on policy" is
 * `invalid_request`, with the reason in the description.
 */
import type { JWTPayload } from 'jose';
import { InvalidRequestError, isOAuthError, TokenTypeUri } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import { scopeTokens } from '../../checks/scope.ts';
import type { AccessTokenRecord, ClientRecord, ConsentRecord, IdTokenRecord } from '../../storage/records.ts';
import { ACCESS_TOKEN_TYP } from '../../tokens/access-token.ts';
import { ID_TOKEN_TYP } from '../../tokens/id-token.ts';
import { chainOf, type Chain } from './act-chain.ts';
import { resourcePolicy } from './profile.ts';
import { truncate, type ExchangeRequest } from './request.ts';
import type { UserLookup } from './users.ts';
import { audiencesOf, authentication } from './subject-claims.ts';
import { unverifiedSubject } from './subject-federated.ts';
import { verifyFederatedIdToken } from './subject-federated-id-token.ts';
import { verifyIdJagSubject } from './subject-id-jag.ts';

export interface SubjectToken {
  type: string;
  claims: JWTPayload;
  chain: Chain;
  /** The user the token is about, or null for a service's own token. */
  userId: string | null;
  /**
   * The most the subject token allows: its `scope`; for our ID tokens, the user's live consents
   * to the client; for federated tokens, the issuer policy's scopes for the client (∩ an ID-JAG's `scope`).
   */
  scope: Set<string>;
  /**
   * The grant it derives from — our access token's, or the grant our ID token was issued with
   * (id_tokens, migration 0016): the exchanged token's grant becomes a child of it (CO-1).
   */
  grantId: string | null;
  /**
   * Our ID token: the user's live consents to the client (newest first) its scope bound came
   * from. The exchanged grant also rests on one of them (subject-consent.ts), so revoking that
   * consent revokes it (CO-1). Absent for every other subject token.
   */
  consents?: ConsentRecord[];
  /** Our jti of the subject token (custody walk, grants.subject_token_jti); null for tokens of other issuers. */
  jti: string | null;
  expiresAt: number;
  /**
   * Another issuer's token (ID token, ID-JAG): who vouched for the subject, for the audit (AU-2) —
   * the custody walk ends at such a token (no subject_jti, no parent grant), so the event itself
   * names its origin, as the jwt-bearer grant records `assertion_iss` / `_sub` / `_jti`.
   */
  origin?: FederatedOrigin;
  authTime: number | null;
  acr: string | null;
  amr: string[];
}

/** Audit data keys of a federated subject token's origin (issue.ts spreads them into the event). */
export interface FederatedOrigin {
  subject_iss: string;
  subject_sub: string;
  subject_origin_jti: string | null;
}

export const SUBJECT_TOKEN_TYPES: readonly string[] = [TokenTypeUri.AccessToken, TokenTypeUri.IdToken, TokenTypeUri.IdJag];

export async function verifySubjectToken(ctx: ServerContext, client: ClientRecord, request: ExchangeRequest, users: UserLookup): Promise<SubjectToken> {
  const { subjectToken: token, subjectTokenType: type } = request;
  if (type === TokenTypeUri.AccessToken) return verifyAccessTokenSubject(ctx, client, token, users);
  if (type === TokenTypeUri.IdToken) {
    const subject = unverifiedSubject(token); // only chooses the verifier; each one checks iss itself
    if (subject === null || subject.iss === ctx.config.issuer) return verifyIdTokenSubject(ctx, client, token, users);
    refuseRelay(request);
    return verifyFederatedIdToken(ctx, client, request, subject);
  }
  if (type === TokenTypeUri.IdJag) {
    refuseRelay(request);
    return verifyIdJagSubject(ctx, client, request);
  }
  throw new InvalidRequestError(`The subject_token_type '${truncate(type)}' is not accepted: send an access token, an ID token or an ID-JAG.`);
}

/**
 * An ID-JAG we issue asserts a login this server vouches for. A federated subject's login happened
 * at another domain: re-asserting it to a third one would launder that trust (the third domain
 * should trust the user's home domain directly), so federated subjects buy access tokens only.
 */
function refuseRelay(request: ExchangeRequest): void {
  if (request.requestedTokenType === TokenTypeUri.IdJag) {
    throw new InvalidRequestError("An ID-JAG is issued only for a subject authenticated by this server: a federated subject_token (another issuer's ID token or an ID-JAG) is exchanged for access tokens only.");
  }
}

/**
 * Our access token's record: stored (every token we issue is) and not revoked. Also re-read by a
 * vault release after the provider call, and by an exchange's issuing transaction (`lock`:
 * requireSubjectStillLive).
 */
export async function requireRecordedSubject(ctx: Pick<ServerContext, 'storage'>, jti: string, lock = false): Promise<AccessTokenRecord> {
  const record = await (lock ? ctx.storage.accessTokens.getForShare(jti) : ctx.storage.accessTokens.get(jti));
  if (!record) throw new InvalidRequestError('The subject_token is not an access token this server recorded.');
  if (record.revokedAt !== null) throw new InvalidRequestError('The subject_token has been revoked.');
  return record;
}

/**
 * CO-1 / RFC 7009 §2.1, inside the issuing transaction: our access token as subject may have been
 * revoked while the exchanged token was signed. Its revocation walks the grants exchanged from it
 * (grants.subject_token_jti) and would miss the one about to be written, so the row is read again,
 * `for share` on PostgreSQL: a revocation that committed first refuses the exchange here, one that
 * comes later waits for this commit and then revokes what was written. Our ID token needs no such
 * read: it is revoked only through its grant, which the caller re-reads with its ancestors.
 */
export async function requireSubjectStillLive(txCtx: Pick<ServerContext, 'storage'>, subject: SubjectToken): Promise<void> {
  if (subject.type === TokenTypeUri.AccessToken && subject.jti !== null) await requireRecordedSubject(txCtx, subject.jti, true);
}

async function verifyAccessTokenSubject(ctx: ServerContext, client: ClientRecord, token: string, users: UserLookup): Promise<SubjectToken> {
  const claims = await verifyOwnJwt(ctx, token, { typ: ACCESS_TOKEN_TYP }, 'access token');
  const jti = typeof claims.jti === 'string' ? claims.jti : '';
  const record = await requireRecordedSubject(ctx, jti);
  if (record.grantId !== null) await requireLiveSubjectGrant(ctx, record.grantId);
  checkAudience(ctx, client, claims);
  await checkUserActive(users, record.userId);
  return {
    type: TokenTypeUri.AccessToken,
    claims,
    chain: chainOf(claims),
    userId: record.userId,
    scope: new Set(typeof claims.scope === 'string' ? scopeTokens(claims.scope) : []),
    grantId: record.grantId,
    jti,
    expiresAt: record.expiresAt,
    ...authentication(claims),
  };
}

/**
 * OBO (DL-1): the requester may exchange a token issued to itself, or a token addressed to a
 * resource it operates (config.tokenExchange.resources[].exchangers). A token meant for someone
 * else is refused: holding a token does not make one its audience.
 */
function checkAudience(ctx: ServerContext, client: ClientRecord, claims: JWTPayload): void {
  if (claims.client_id === client.clientId) return;
  const audiences = audiencesOf(claims);
  if (audiences.some((aud) => resourcePolicy(ctx.config, aud)?.exchangers.includes(client.clientId))) return;
  throw new InvalidRequestError(`The subject_token was neither issued to this client nor addressed to a resource it operates (aud: ${truncate(audiences.join(' '))}).`);
}

/**
 * Checked before signing; the issuing transaction re-reads the grant with all its ancestors
 * (issue.ts, id-jag.ts: requireLiveGrantTree), where a revocation racing the signature shows.
 */
async function requireLiveSubjectGrant(ctx: ServerContext, grantId: string): Promise<void> {
  const grant = await ctx.storage.grants.get(grantId);
  if (!grant || grant.revokedAt !== null) throw new InvalidRequestError('The grant behind the subject_token has been revoked.');
}

/**
 * CO-1: our ID token's record (id_tokens, written with the token by the code or refresh grant)
 * names the grant it came from; the exchange rests on that grant, so revoking it — reuse, code
 * replay, RFC 7009, sign-out, consent revocation — ends the ID token and everything exchanged
 * from it. An ID token without a record (none signed before migration 0016 has a `jti`) is refused:
 * it would rest on nothing, and lives only ttl.idToken anyway.
 */
async function requireRecordedIdToken(ctx: ServerContext, client: ClientRecord, claims: JWTPayload): Promise<IdTokenRecord> {
  const record = typeof claims.jti === 'string' ? await ctx.storage.idTokens.get(claims.jti) : null;
  // The signature already binds sub and aud; a row naming others is not this token's.
  if (!record || record.clientId !== client.clientId || record.userId !== claims.sub) throw new InvalidRequestError('The subject_token is not an ID token this server recorded.');
  await requireLiveSubjectGrant(ctx, record.grantId);
  return record;
}

async function verifyIdTokenSubject(ctx: ServerContext, client: ClientRecord, token: string, users: UserLookup): Promise<SubjectToken> {
  // OIDC Core §2: aud contains the client_id — an ID token is exchanged only by the client it was issued to.
  const claims = await verifyOwnJwt(ctx, token, { typ: ID_TOKEN_TYP, audience: client.clientId }, 'ID token');
  const record = await requireRecordedIdToken(ctx, client, claims);
  const userId = record.userId;
  await checkUserActive(users, userId);
  const consents = (await ctx.storage.consents.listForUser(userId, { clientId: client.clientId })).filter((c) => c.revokedAt === null);
  const scope = new Set(consents.flatMap((c) => scopeTokens(c.scope)));
  return {
    type: TokenTypeUri.IdToken,
    claims,
    chain: chainOf(claims),
    userId,
    scope,
    grantId: record.grantId, // the grant the ID token came from: the exchanged grant is its child
    consents,
    jti: record.jti,
    expiresAt: typeof claims.exp === 'number' ? claims.exp : ctx.now(),
    ...authentication(claims),
  };
}

/** Signature (one of our published keys), iss, exp, typ — a token-type mismatch fails on `typ` (RFC 8725 §3.11). */
async function verifyOwnJwt(ctx: ServerContext, token: string, options: { typ: string; audience?: string }, what: string): Promise<JWTPayload> {
  try {
    return (await ctx.keys.verify(token, options)).payload;
  } catch (err) {
    if (!isOAuthError(err)) throw err;
    throw new InvalidRequestError(`The subject_token is not a valid ${what} of this server: ${err.description}`);
  }
}

async function checkUserActive(users: UserLookup, userId: string | null): Promise<void> {
  if (userId === null) return;
  const user = await users(userId);
  if (!user || user.disabled) throw new InvalidRequestError('The user of the subject_token is disabled or no longer exists.');
}
