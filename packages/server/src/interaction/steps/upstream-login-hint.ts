/**
 * Home-realm discovery from the client's `login_hint` (OIDC Core §3.1.2.1): when the hint is an
 * email at a domain of a provider that enables `autoRedirectOnLoginHint`, the login page is
 * skipped and the browser goes straight to that provider, as if the user had typed the email into
 * the work-email field (upstream-start.ts). Each domain belongs to one provider
 * (upstream-schema.ts), so the hint never has to choose.
 *
 * Not taken when the user asked for the password page (`?method=password`) or was sent back with
 * a message (`?error=`): the page must stay reachable. A provider that cannot be reached now
 * leaves the ordinary login page, never an error.
 */
import type { Context } from 'hono';
import type { ServerContext } from '../../context.ts';
import { upstreamAuthorizationUrl } from '../../federation/upstream/authorization.ts';
import { upstreamClients } from '../../federation/upstream/clients.ts';
import { UpstreamLoginError } from '../../federation/upstream/errors.ts';
import { providerForEmail } from '../../federation/upstream/home-realm.ts';
import type { LoadedInteraction } from '../load.ts';
import { seeOther } from '../respond.ts';

/** The 303 to the hinted provider, or null when the login page should be shown. */
export async function redirectForLoginHint(c: Context, ctx: ServerContext, loaded: LoadedInteraction): Promise<Response | null> {
  const hint = loaded.request.loginHint?.trim().slice(0, 320) ?? '';
  if (hint === '' || c.req.query('method') === 'password' || c.req.query('error') !== undefined) return null;
  const provider = providerForEmail(upstreamClients(ctx).providers, hint);
  if (!provider?.autoRedirectOnLoginHint) return null;
  try {
    return seeOther(c, await upstreamAuthorizationUrl(ctx, provider, loaded.record, loaded.request, hint));
  } catch (err) {
    if (!(err instanceof UpstreamLoginError)) throw err;
    ctx.logger.info({ provider: provider.id, reason: err.reason }, 'login_hint redirect skipped; showing the login page');
    return null;
  }
}
