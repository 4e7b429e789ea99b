/**
 * The end of every user grant: one access token (RFC 9068), optionally a rotated or new refresh
 * token and an ID token, shaped as the RFC 6749 §5.1 response. Runs inside the issuance
 * transaction (commit.ts) with the transaction's context.
 */
import { parseScope } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import { signAccessToken } from '../../tokens/access-token.ts';
import { signIdToken, type SignedIdToken } from '../../tokens/id-token.ts';
import { issueRefreshToken, type IssuedRefreshToken, type RefreshTokenInput } from '../../tokens/refresh-token.ts';
import type { Narrowed } from './narrow.ts';
import type { TokenRequest, TokenResponseBody } from '../types.ts';

/** How and when the user authenticated (OIDC Core §2: auth_time, acr, amr). */
export interface UserAuthentication {
  userId: string;
  authTime: number | null;
  acr: string | null;
  amr: string[];
}

export interface UserIssuance {
  grantId: string;
  user: UserAuthentication;
  narrowed: Narrowed;
  /** Inputs of the refresh token to store, or null when none is issued. */
  refreshToken: RefreshTokenInput | null;
  /** OIDC Core §3.1.3.3: an ID token when `openid` is in the scope; the nonce of the authorization request, if any. */
  idTokenNonce: string | null;
}

export interface Issued {
  body: TokenResponseBody;
  jti: string;
  /** The ID token's jti, when one was issued: the issuance event records it as `id_token_jti` (AU-2 custody). */
  idTokenJti: string | null;
  refreshToken: IssuedRefreshToken | null;
}

export interface SignedUserTokens {
  access: Awaited<ReturnType<typeof signAccessToken>>;
  /** Released only by storing its record (the grant it came from, CO-1), which issueUserTokens does. */
  idToken: SignedIdToken | null;
}

/** Signs outside any transaction: a signature takes a trip through the thread pool. */
export async function signUserTokens(ctx: ServerContext, req: TokenRequest, input: Omit<UserIssuance, 'refreshToken'>): Promise<SignedUserTokens> {
  const { user, narrowed } = input;
  const access = await signAccessToken(ctx, {
    subject: user.userId,
    clientId: req.client.clientId,
    userId: user.userId,
    grantId: input.grantId,
    scope: narrowed.scope,
    audience: narrowed.resources,
    ...(user.authTime !== null ? { authTime: user.authTime } : {}),
    ...(user.acr !== null ? { acr: user.acr } : {}),
    amr: user.amr,
    ...(req.dpop ? { cnfJkt: req.dpop.jkt } : {}),
    ...(narrowed.authorizationDetails ? { authorizationDetails: narrowed.authorizationDetails } : {}),
  });
  let idToken: SignedUserTokens['idToken'] = null;
  if (parseScope(narrowed.scope)?.has('openid')) {
    idToken = await signIdToken(ctx, {
      userId: user.userId,
      clientId: req.client.clientId,
      nonce: input.idTokenNonce,
      authTime: user.authTime,
      acr: user.acr,
      amr: user.amr,
      accessToken: access.token,
      scope: narrowed.scope,
    }, input.grantId);
  }
  return { access, idToken };
}

export async function issueUserTokens(txCtx: ServerContext, req: TokenRequest, input: UserIssuance, signed: SignedUserTokens): Promise<Issued> {
  const { narrowed } = input;
  const { access } = signed;
  await txCtx.storage.accessTokens.create(access.record);
  // CO-1: the ID token names its grant, so a token exchange of it rests on that grant and every
  // revocation of the grant's tree reaches it (token-exchange/subject-token.ts). One insert here.
  const idToken = signed.idToken ? await signed.idToken.store(txCtx.storage) : null;
  const refreshToken = input.refreshToken ? await issueRefreshToken(txCtx, input.refreshToken) : null;
  const body = tokenResponseBody(req, access, narrowed);
  if (refreshToken) body.refresh_token = refreshToken.token;
  if (idToken !== null) body.id_token = idToken;
  return { body, jti: access.jti, idTokenJti: signed.idToken?.jti ?? null, refreshToken };
}

/** RFC 6749 §5.1 (+ RFC 9449 §5 token_type, RFC 9396 §7 authorization_details). */
export function tokenResponseBody(req: TokenRequest, access: { token: string; expiresIn: number }, narrowed: Pick<Narrowed, 'scope' | 'authorizationDetails'>): TokenResponseBody {
  const body: TokenResponseBody = {
    access_token: access.token,
    token_type: req.dpop ? 'DPoP' : 'Bearer',
    expires_in: access.expiresIn,
  };
  // §5.1: scope is required when it differs from the request; always sending it is simplest for clients.
  if (narrowed.scope !== '') body.scope = narrowed.scope;
  if (narrowed.authorizationDetails) body.authorization_details = narrowed.authorizationDetails;
  return body;
}
