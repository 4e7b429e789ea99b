/**
 * ID tokens (OIDC Core §2), issued from the token endpoint in the authorization code flow
 * (§3.1.3.3) and on refresh (§12.2). Signed with the server's active key; `typ: JWT` as in
 * RFC 7519 §5.1. The only way to one is signIdToken, then SignedIdToken.store: every ID token we
 * hand out has its id_tokens row (CO-1), and its issuance event names it (`id_token_jti`, AU-2).
 */
import { createHash } from 'node:crypto';
import type { JWTPayload } from 'jose';
import type { ServerContext } from '../context.ts';
import type { IdTokenRecord } from '../storage/records.ts';
import type { Storage } from '../storage/storage.ts';
import { sortableJti } from '../crypto/sortable-ids.ts';
import { userClaims } from './user-claims.ts';

export const ID_TOKEN_TYP = 'JWT';

export interface IdTokenInput {
  userId: string;
  clientId: string;
  /** The nonce of the authorization request, echoed unchanged (§3.1.2.1); absent when none was sent. */
  nonce?: string | null;
  /** When the user authenticated; null only for a grant that never recorded it (then omitted). */
  authTime: number | null;
  acr?: string | null;
  amr?: string[];
  /** The access token issued alongside: its hash goes in `at_hash` (§3.1.3.6). */
  accessToken?: string;
  /** The authorization code: its hash goes in `c_hash` (§3.3.2.11). */
  code?: string;
  /** The granted scope: the user claims it releases (tokens/user-claims.ts) are added. */
  scope?: string;
  /** Further claims to add, e.g. already computed user claims. */
  claims?: Record<string, unknown>;
}

/**
 * §3.1.3.6 at_hash / §3.3.2.11 c_hash: base64url of the left-most half of the hash of the ASCII
 * octets of the value, the hash being the one of the ID token's `alg`: SHA-256 for ES256 and
 * RS256; for EdDSA (Ed25519) SHA-512, as Core 1.0 errata set 2 specifies and clients implement.
 */
export function halfHash(value: string, alg: string): string {
  const digest = createHash(alg === 'EdDSA' || alg === 'Ed25519' ? 'sha512' : 'sha256')
    .update(value, 'ascii')
    .digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

/**
 * A signed ID token that is not yet a token anyone can use: its compact form is released only by
 * `store`, which writes its id_tokens row (CO-1). Every ID token we hand out therefore names,
 * through its `jti`, the grant it came from, and an exchange of it (token-exchange/subject-token.ts)
 * can rest on that grant: an unrecorded one would be refused there, so it could never be exchanged.
 */
export class SignedIdToken {
  readonly #token: string;
  readonly record: IdTokenRecord;

  constructor(token: string, record: IdTokenRecord) {
    this.#token = token;
    this.record = record;
  }

  get jti(): string {
    return this.record.jti;
  }

  /**
   * Writes the row — in the issuing transaction (grants/shared/issue.ts), so the token exists only
   * if its grant's issuance commits — and returns the token. A re-run transaction (deadlock retry)
   * stores it again: the rolled-back row is gone.
   */
  async store(storage: Pick<Storage, 'idTokens'>): Promise<string> {
    await storage.idTokens.create(this.record);
    return this.#token;
  }
}

/**
 * The ID token of a grant's issuance (CO-1). Signed outside any transaction (a signature takes a
 * trip through the thread pool); the caller stores it in the issuing transaction.
 */
export async function signIdToken(ctx: ServerContext, input: IdTokenInput, grantId: string): Promise<SignedIdToken> {
  const jti = sortableJti(); // appends to the id_tokens primary-key index, as access tokens' jtis do
  const { token, iat, exp } = await signIdTokenClaims(ctx, input, jti);
  return new SignedIdToken(token, { jti, grantId, clientId: input.clientId, userId: input.userId, expiresAt: exp, createdAt: iat });
}

async function signIdTokenClaims(ctx: ServerContext, input: IdTokenInput, jti: string): Promise<{ token: string; iat: number; exp: number }> {
  const now = ctx.now();
  // The keys sign only with the configured algorithm (keys/signing-keys.ts), so the hash matches.
  const alg = ctx.config.signingAlg;
  const released = input.scope !== undefined ? await releasedUserClaims(ctx, input.userId, input.scope) : {};
  const claims: JWTPayload = {
    ...withoutProtocolClaims({ ...released, ...input.claims }),
    iss: ctx.config.issuer,
    sub: input.userId,
    // §2: aud contains the client_id; azp names it too, as the party the token was issued to.
    aud: input.clientId,
    azp: input.clientId,
    exp: now + ctx.config.ttl.idToken,
    iat: now,
    // RFC 7519 §4.1.7; OIDC Core §2 allows it. The key of the token's id_tokens row (CO-1).
    jti,
  };
  // §2: auth_time, always known in the code flow; acr and amr when login recorded them.
  if (input.authTime !== null) claims.auth_time = input.authTime;
  if (input.nonce) claims.nonce = input.nonce;
  if (input.acr) claims.acr = input.acr;
  if (input.amr && input.amr.length > 0) claims.amr = [...input.amr];
  if (input.accessToken !== undefined) claims.at_hash = halfHash(input.accessToken, alg);
  if (input.code !== undefined) claims.c_hash = halfHash(input.code, alg);
  return { token: await ctx.keys.sign(claims, { typ: ID_TOKEN_TYP }), iat: now, exp: now + ctx.config.ttl.idToken };
}

async function releasedUserClaims(ctx: ServerContext, userId: string, scope: string): Promise<Record<string, unknown>> {
  const user = await ctx.storage.users.get(userId);
  return user ? { ...userClaims(user, scope) } : {};
}

/** User claims may add to an ID token but never replace the claims that make it one. */
const PROTOCOL_CLAIMS = new Set(['iss', 'sub', 'aud', 'azp', 'exp', 'iat', 'nbf', 'auth_time', 'nonce', 'acr', 'amr', 'at_hash', 'c_hash', 'jti', 'cnf']);

function withoutProtocolClaims(claims: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!claims) return {};
  return Object.fromEntries(Object.entries(claims).filter(([name]) => !PROTOCOL_CLAIMS.has(name)));
}
