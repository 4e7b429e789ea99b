/**
 * GET /sso/callback — the upstream provider's answer (SSO, HU-1/EN-1). In order:
 *
 *   state known and unexpired (hash lookup)   → else "cannot be used", nothing else learned
 *   the interaction is bound to this browser  → a callback carried to another browser fails
 *   state used now (atomic, single use)       → a replayed callback fails
 *   response, code, ID token verified         → token.ts (RFC 9207 iss, PKCE, nonce, signature)
 *   local user found / linked / provisioned   → account.ts; disabled users refused
 *
 * then the login completes exactly as a password login does: a new session (amr `fed`, RFC
 * 8176), bound to the interaction, and back to the interaction page for consent. Every outcome
 * is audited; a failure shows an error page and leaves no session.
 */
import { mappedAcr } from '../../federation/acr-mappings.ts';
import type { Context } from 'hono';
import type { ServerContext } from '../../context.ts';
import { sha256 } from '../../crypto/hash.ts';
import { clientIp } from '../../http/client-ip.ts';
import { resolveUpstreamAccount } from '../../federation/upstream/account.ts';
import { upstreamClients } from '../../federation/upstream/clients.ts';
import { UpstreamLoginError } from '../../federation/upstream/errors.ts';
import { upstreamRedirectUri } from '../../federation/upstream/paths.ts';
import { redeemUpstreamCode } from '../../federation/upstream/token.ts';
import { renderPageError } from '../errors.ts';
import { loadInteraction, type LoadedInteraction } from '../load.ts';
import { completeLogin } from './login.ts';

const AMR = ['fed'];

function auditFailure(ctx: ServerContext, c: Context, err: UpstreamLoginError, loaded: LoadedInteraction | null, providerId: string | null): Promise<void> {
  return ctx.audit.record({
    event: 'login',
    userId: err.userId,
    clientId: loaded?.request.clientId ?? null,
    ip: clientIp(c),
    result: 'failure',
    reason: `upstream_${err.reason}`,
    // detail: our own wording plus validated error codes, never a token or a provider's free text.
    data: { ...(providerId === null ? {} : { provider: providerId }), detail: err.detail, ...(err.providerError ? { providerError: err.providerError } : {}) },
  });
}

/** The URL the provider redirected to, on our issuer (openid-client derives redirect_uri from it). */
function callbackUrl(ctx: ServerContext, c: Context): URL {
  const url = new URL(upstreamRedirectUri(ctx));
  url.search = new URL(c.req.url).search;
  return url;
}

export async function upstreamCallback(c: Context, ctx: ServerContext): Promise<Response> {
  const state = c.req.query('state') ?? '';
  let loaded: LoadedInteraction | null = null;
  let providerId: string | null = null;
  try {
    const now = ctx.now();
    const stateHash = sha256(state);
    const pending = state.length > 0 && state.length <= 512 ? await ctx.storage.upstreamIdentities.states.get(stateHash, now) : null;
    if (!pending) throw new UpstreamLoginError('invalid_state', 'unknown, used or expired state');
    providerId = pending.providerId;
    loaded = await loadInteraction(c, ctx, pending.interactionId);
    if (!(await ctx.storage.upstreamIdentities.states.consume(stateHash, now))) throw new UpstreamLoginError('invalid_state', 'state used concurrently');
    const provider = upstreamClients(ctx).provider(pending.providerId);
    if (!provider) throw new UpstreamLoginError('unknown_provider', 'provider no longer configured');

    const claims = await redeemUpstreamCode(ctx, provider, state, pending, callbackUrl(ctx, c), loaded.request.maxAge);
    const { user, outcome } = await resolveUpstreamAccount(ctx, provider, claims);
    const upstreamAcr = mappedAcr(claims.acr, provider.acrMappings) ?? undefined; // own keys only: an acr of "constructor" maps nothing
    // No throttle: an upstream login never counted failures against the local account.
    return await completeLogin(c, ctx, null, loaded, user, AMR, { acr: upstreamAcr, auditData: { provider: provider.id, account: outcome } });
  } catch (err) {
    if (err instanceof UpstreamLoginError) {
      ctx.logger.info({ provider: providerId, reason: err.reason, detail: err.detail }, 'upstream login refused');
      await auditFailure(ctx, c, err, loaded, providerId);
      return renderPageError(c, err.toPageError());
    }
    return renderPageError(c, err);
  }
}
