/**
 * The provider's answer at our callback, verified by openid-client before anything is believed:
 * the authorization response (RFC 9207: the `iss` parameter must name the provider, and must be
 * present when the provider advertises `authorization_response_iss_parameter_supported`; `state`;
 * an error response), then the code exchange with the PKCE verifier, then the ID token (signature
 * against the provider's JWKS, iss, aud, azp, exp, iat, nonce, and auth_time when max_age was
 * asked; OIDC Core §3.1.3.7). UserInfo, when read, must be about the same `sub` (§5.3.4).
 */
import * as oidc from 'openid-client';
import { OutboundFetchError } from '../../clients/ssrf-fetch.ts';
import type { ServerContext } from '../../context.ts';
import type { UpstreamLoginStateRecord } from '../../storage/records.ts';
import type { UpstreamProvider } from '../upstream-schema.ts';
import { errorSummary, upstreamClients } from './clients.ts';
import { UpstreamLoginError } from './errors.ts';

export type UpstreamClaims = Record<string, unknown> & { sub: string; iss: string };

/** An RFC 6749 §4.1.2.1 error code is shown back only when it is one of the printable codes. */
function safeErrorCode(value: string | undefined): string | null {
  return value !== undefined && /^[a-z_]{1,64}$/.test(value) ? value : null;
}

export async function redeemUpstreamCode(
  ctx: ServerContext,
  provider: UpstreamProvider,
  state: string,
  pending: UpstreamLoginStateRecord,
  callbackUrl: URL,
  maxAge: number | null,
): Promise<UpstreamClaims> {
  const config = await upstreamClients(ctx).configuration(provider);
  let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
  try {
    tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: pending.codeVerifier,
      expectedState: state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
      ...(maxAge !== null ? { maxAge } : {}),
    });
  } catch (err) {
    throw classify(ctx, provider, err);
  }
  const idToken = tokens.claims();
  if (!idToken) throw new UpstreamLoginError('invalid_response', 'no ID token');
  let claims: Record<string, unknown> = { ...idToken };
  const metadata = config.serverMetadata();
  if (provider.userinfo && metadata.userinfo_endpoint) {
    try {
      const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, idToken.sub);
      // The signed ID token wins where both speak (iss, sub, aud, nonce …).
      claims = { ...userinfo, ...idToken };
    } catch (err) {
      throw classify(ctx, provider, err);
    }
  }
  return claims as UpstreamClaims;
}

function classify(ctx: ServerContext, provider: UpstreamProvider, err: unknown): UpstreamLoginError {
  if (err instanceof UpstreamLoginError) return err;
  if (err instanceof oidc.AuthorizationResponseError) {
    return new UpstreamLoginError('provider_error', `authorization error response from ${provider.id}`, safeErrorCode(err.error));
  }
  if (err instanceof oidc.ResponseBodyError) {
    // The token or UserInfo endpoint refused (invalid_grant for a wrong PKCE verifier, …).
    ctx.logger.info({ provider: provider.id, status: err.status, error: safeErrorCode(err.error) }, 'upstream provider refused the code or token');
    return new UpstreamLoginError('invalid_response', `${provider.id} refused: ${safeErrorCode(err.error) ?? 'error'}`);
  }
  const network = outboundFailure(err);
  if (network) return new UpstreamLoginError('provider_unavailable', `${provider.id} unreachable (${network})`);
  const summary = errorSummary(err);
  ctx.logger.info({ provider: provider.id, err: summary }, 'upstream authorization response rejected');
  return new UpstreamLoginError('invalid_response', `${provider.id}: ${summary.code ?? summary.name}`);
}

/** openid-client wraps what our fetch throws; look through the causes. */
function outboundFailure(err: unknown): string | null {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e instanceof OutboundFetchError) return e.code;
  }
  return null;
}
