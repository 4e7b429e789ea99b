/**
 * POST /interaction/:id/sso — leave for an upstream OpenID Provider (SSO, HU-1/EN-1), either the
 * one the user picked ("Continue with …", field `provider`) or the home realm of the email they
 * typed (field `email`). Answered with 303 to the provider's authorization endpoint; the login
 * page's CSP form-action admits it (clients.ts formTargets).
 */
import type { Context } from 'hono';
import type { ServerContext } from '../../context.ts';
import type { Params } from '../../http/params.ts';
import { upstreamAuthorizationUrl } from '../../federation/upstream/authorization.ts';
import { upstreamClients } from '../../federation/upstream/clients.ts';
import { UpstreamLoginError } from '../../federation/upstream/errors.ts';
import { providerForEmail } from '../../federation/upstream/home-realm.ts';
import type { LoadedInteraction } from '../load.ts';
import { seeOther } from '../respond.ts';
import { interactionUrl } from '../urls.ts';

export async function postUpstreamStart(c: Context, ctx: ServerContext, loaded: LoadedInteraction, form: Params): Promise<Response> {
  const clients = upstreamClients(ctx);
  const providerId = form.get('provider');
  const email = (form.get('email') ?? '').trim().slice(0, 320);
  const provider = providerId ? clients.provider(providerId) : providerForEmail(clients.providers, email);
  if (!provider) {
    if (providerId) throw new UpstreamLoginError('unknown_provider', 'no such provider').toPageError();
    // No provider for this domain: back to the page, which offers the password instead.
    return seeOther(c, `${interactionUrl(ctx, loaded.record.id)}?error=sso_domain`);
  }
  try {
    const hint = providerId ? loaded.request.loginHint : email;
    return seeOther(c, await upstreamAuthorizationUrl(ctx, provider, loaded.record, loaded.request, hint));
  } catch (err) {
    if (err instanceof UpstreamLoginError) throw err.toPageError();
    throw err;
  }
}
