/**
 * Ending an interaction: it is consumed atomically first (a double-submitted form cannot issue two
 * codes or record two decisions), its browser binding is dropped, and the browser is sent to the
 * client's redirect URI with either a code or access_denied — both with state and iss (RFC 9207).
 */
import type { Context } from 'hono';
import { AccessDeniedError } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import { clientIp } from '../http/client-ip.ts';
import { completeAuthorization } from '../endpoints/authorize/complete.ts';
import { errorResponseUrl } from '../endpoints/authorize/response.ts';
import { releaseInteraction } from './binding.ts';
import { expiredInteraction } from './errors.ts';
import type { LoadedInteraction } from './load.ts';
import { seeOther } from './respond.ts';
import type { ActiveSession } from './session.ts';

/** Single use: exactly one caller gets past this for a given interaction. */
export async function consumeInteraction(c: Context, ctx: ServerContext, loaded: LoadedInteraction): Promise<void> {
  const consumed = await ctx.storage.interactions.consume(loaded.record.id, ctx.now());
  if (!consumed) throw expiredInteraction();
  releaseInteraction(c, ctx, loaded.record.id);
}

/** After consumeInteraction: issue the code and send the browser back to the client. */
export async function redirectWithCode(c: Context, ctx: ServerContext, loaded: LoadedInteraction, session: ActiveSession, consentId: string): Promise<Response> {
  const location = await completeAuthorization(ctx, {
    request: loaded.request,
    authentication: {
      userId: session.user.id,
      authTime: session.record.authTime,
      acr: session.record.acr,
      amr: session.record.amr,
      sessionIdHash: session.record.idHash,
    },
    consentId,
    ip: clientIp(c),
  });
  return seeOther(c, location);
}

/** After consumeInteraction: RFC 6749 §4.1.2.1 access_denied. */
export function redirectWithAccessDenied(c: Context, ctx: ServerContext, loaded: LoadedInteraction): Response {
  const err = new AccessDeniedError('The user denied the authorization request.');
  return seeOther(c, errorResponseUrl(ctx, loaded.request, err));
}
