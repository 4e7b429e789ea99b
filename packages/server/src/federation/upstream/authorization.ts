/**
 * The redirect to an upstream provider (OIDC Core §3.1.2.1): authorization code flow with
 * PKCE S256 (RFC 7636), a fresh `state` (RFC 6749 §10.12) and `nonce` (OIDC Core §15.5.2). All
 * three are kept server-side, bound to the interaction they continue and used once; `state` is
 * stored only as its hash. The client's freshness demands are passed on: a client asking us for
 * prompt=login or max_age must not be satisfied by an old session at the provider.
 */
import * as oidc from 'openid-client';
import type { ServerContext } from '../../context.ts';
import { sha256 } from '../../crypto/hash.ts';
import type { AuthorizationRequest } from '../../endpoints/authorize/request.ts';
import { acrSatisfies } from '../../interaction/acr.ts';
import type { InteractionRecord } from '../../storage/records.ts';
import type { UpstreamProvider } from '../upstream-schema.ts';
import { upstreamClients } from './clients.ts';
import { upstreamRedirectUri } from './paths.ts';

/** Time allowed at the provider before the callback; bounded by the interaction's own expiry. */
const UPSTREAM_STATE_TTL = 600;

/**
 * OIDC Core §3.1.2.1 acr_values for the provider, from its acrMappings: the classes that meet what
 * the client asked of us, or every mapped class when it asked nothing. Providers commonly put
 * `acr` in the ID token only when asked (oidc-provider does), and the mapping needs it there.
 */
function upstreamAcrValues(provider: UpstreamProvider, request: AuthorizationRequest): string[] {
  const mapped = Object.entries(provider.acrMappings);
  if (request.acrValues.length === 0) return mapped.map(([upstream]) => upstream);
  return mapped.filter(([, ours]) => acrSatisfies(ours, request.acrValues)).map(([upstream]) => upstream);
}

export async function upstreamAuthorizationUrl(
  ctx: ServerContext,
  provider: UpstreamProvider,
  interaction: InteractionRecord,
  request: AuthorizationRequest,
  loginHint: string | null,
): Promise<string> {
  const config = await upstreamClients(ctx).configuration(provider);
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const now = ctx.now();
  await ctx.storage.upstreamIdentities.states.create({
    stateHash: sha256(state),
    interactionId: interaction.id,
    providerId: provider.id,
    nonce,
    codeVerifier,
    createdAt: now,
    expiresAt: Math.min(now + UPSTREAM_STATE_TTL, interaction.expiresAt),
  });
  const params: Record<string, string> = {
    redirect_uri: upstreamRedirectUri(ctx),
    scope: provider.scopes.join(' '),
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  };
  if (request.prompt.includes('login') || request.prompt.includes('select_account')) params.prompt = 'login';
  if (request.maxAge !== null) params.max_age = String(request.maxAge);
  if (loginHint !== null) params.login_hint = loginHint;
  const acrValues = upstreamAcrValues(provider, request);
  if (acrValues.length > 0) params.acr_values = acrValues.join(' ');
  return oidc.buildAuthorizationUrl(config, params).href;
}
