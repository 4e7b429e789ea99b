/**
 * POST /interaction/:id/consent — the user's decision (AS-8). Approve records the consent (or
 * reuses the remembered one covering the request) and issues the code; deny answers the client
 * with access_denied (RFC 6749 §4.1.2.1). Both are audited.
 */
import type { Context } from 'hono';
import type { ServerContext } from '../../context.ts';
import { clientIp } from '../../http/client-ip.ts';
import type { Params } from '../../http/params.ts';
import { auditConsent } from '../audit.ts';
import { findCoveringConsent, recordConsent } from '../consent.ts';
import { InteractionPageError } from '../errors.ts';
import { consumeInteraction, redirectWithAccessDenied, redirectWithCode } from '../finish.ts';
import type { LoadedInteraction } from '../load.ts';
import { seeOther } from '../respond.ts';
import { currentSession } from '../session.ts';
import { authenticationStep } from '../step-up.ts';
import { interactionUrl } from '../urls.ts';

export async function postConsent(c: Context, ctx: ServerContext, loaded: LoadedInteraction, form: Params): Promise<Response> {
  const { record, request } = loaded;
  const session = await currentSession(c, ctx);
  // The session may have ended (or another user signed in elsewhere) since the page was shown.
  // A pending passkey step (step-up.ts) cannot be skipped by posting the form directly.
  if (!session || (await authenticationStep(ctx, session, request, record)).kind !== 'none') return seeOther(c, interactionUrl(ctx, record.id));

  const decision = form.get('decision');
  if (decision !== 'approve' && decision !== 'deny') {
    throw new InteractionPageError(400, 'This request cannot continue', 'The consent form was incomplete. Go back and choose Allow or Deny.');
  }
  await consumeInteraction(c, ctx, loaded);
  const ip = clientIp(c);
  if (decision === 'deny') {
    await auditConsent(ctx, { userId: session.user.id, request, ip, granted: false, consentId: null });
    return redirectWithAccessDenied(c, ctx, loaded);
  }
  const consent = (await findCoveringConsent(ctx, session.user.id, request)) ?? (await recordConsent(ctx, session.user.id, request));
  await auditConsent(ctx, { userId: session.user.id, request, ip, granted: true, consentId: consent.id });
  return redirectWithCode(c, ctx, loaded, session, consent.id);
}
