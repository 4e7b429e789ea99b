/**
 * After validation: hand the request to the login and consent pages, or — for prompt=none —
 * answer at once from the existing session and consent (OIDC Core §3.1.2.1, §3.1.2.6).
 */
import type { Context } from 'hono';
import { ConsentRequiredError, LoginRequiredError } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import { randomToken } from '../../crypto/hash.ts';
import { clientIp } from '../../http/client-ip.ts';
import type { InteractionRecord } from '../../storage/records.ts';
import { bindInteraction } from '../../interaction/binding.ts';
import { findCoveringConsent } from '../../interaction/consent.ts';
import { interactionUrl } from '../../interaction/urls.ts';
import { seeOther } from '../../interaction/respond.ts';
import { currentSession, reauthenticationReason } from '../../interaction/session.ts';
import { completeAuthorization } from './complete.ts';
import { toStoredRequest, type AuthorizationRequest } from './request.ts';

export async function startAuthorization(c: Context, ctx: ServerContext, request: AuthorizationRequest): Promise<Response> {
  if (request.prompt.includes('none')) return answerWithoutInteraction(c, ctx, request);
  const now = ctx.now();
  const interaction: InteractionRecord = {
    id: randomToken(),
    clientId: request.clientId,
    params: toStoredRequest(request),
    sessionIdHash: null,
    createdAt: now,
    expiresAt: now + ctx.config.ttl.interaction,
    consumedAt: null,
  };
  await ctx.storage.interactions.create(interaction);
  bindInteraction(c, ctx, interaction.id);
  return seeOther(c, interactionUrl(ctx, interaction.id));
}

/** prompt=none: no page may be shown; whatever would need one is an error redirect. */
async function answerWithoutInteraction(c: Context, ctx: ServerContext, request: AuthorizationRequest): Promise<Response> {
  const session = await currentSession(c, ctx);
  const reason = reauthenticationReason(ctx, session, request, null);
  if (reason !== null || !session) {
    throw new LoginRequiredError('The user must sign in, and prompt=none forbids showing a page.', { detail: reason ?? 'no_session' });
  }
  const consent = await findCoveringConsent(ctx, session.user.id, request);
  if (!consent) throw new ConsentRequiredError('The user has not consented to this request, and prompt=none forbids asking.');
  const location = await completeAuthorization(ctx, {
    request,
    authentication: {
      userId: session.user.id,
      authTime: session.record.authTime,
      acr: session.record.acr,
      amr: session.record.amr,
      sessionIdHash: session.record.idHash,
    },
    consentId: consent.id,
    ip: clientIp(c),
  });
  return seeOther(c, location);
}
