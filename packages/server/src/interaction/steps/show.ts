/**
 * GET /interaction/:id — the next page of a pending authorization: login (password), then TOTP,
 * then consent. When the browser's session already fits the request and a remembered consent
 * covers it (and prompt≠consent), no page is shown: the browser goes straight back to the client.
 * A session that only lacks the passkey factor gets the passkey step alone (step-up.ts);
 * `?method=password` chooses the password page instead.
 */
import type { Context } from 'hono';
import type { ServerContext } from '../../context.ts';
import { findCoveringConsent } from '../consent.ts';
import { clientDisplayName, consentView } from '../consent-view.ts';
import { csrfToken } from '../csrf.ts';
import { consumeInteraction, redirectWithCode } from '../finish.ts';
import type { LoadedInteraction } from '../load.ts';
import { consentPage } from '../pages/consent.ts';
import { loginPage } from '../pages/login.ts';
import { totpPage } from '../pages/totp.ts';
import { readPendingLogin } from '../pending-login.ts';
import { sendPage } from '../respond.ts';
import { currentSession } from '../session.ts';
import { authenticationStep } from '../step-up.ts';
import { interactionUrl } from '../urls.ts';
import { renderPasskeyStep } from './passkey.ts';

/** Messages for the `error` query parameter set by the form posts (codes only, never user input). */
const MESSAGES: Record<string, string> = {
  credentials: 'The email or password is incorrect.',
  totp: 'That code is not valid. Check your authenticator app and try again.',
  totp_reused: 'That code was already used. Wait for the next code and try again.',
  expired: 'Your sign-in took too long. Please enter your email and password again.',
};

export async function showInteraction(c: Context, ctx: ServerContext, loaded: LoadedInteraction): Promise<Response> {
  const { record, request, client } = loaded;
  const csrf = csrfToken(ctx, record.id);
  const error = MESSAGES[c.req.query('error') ?? ''] ?? null;
  const page = (html: string) => sendPage(c, html, { formTargets: [request.redirectUri] });

  const session = await currentSession(c, ctx);
  const step = await authenticationStep(ctx, session, request, record);
  if (!session || step.kind !== 'none') {
    const pending = await readPendingLogin(c, ctx, record.id);
    const user = pending ? await ctx.storage.users.get(pending.userId) : null;
    if (user && !user.disabled) {
      return page(totpPage({ action: interactionUrl(ctx, record.id, 'totp'), csrf, email: user.email, error }));
    }
    if (step.kind === 'passkey' && c.req.query('method') !== 'password') return renderPasskeyStep(c, ctx, loaded, step.user);
    return page(
      loginPage({
        action: interactionUrl(ctx, record.id, 'login'),
        csrf,
        clientName: clientDisplayName(client),
        email: request.loginHint,
        error,
        passkeyUrl: interactionUrl(ctx, record.id, 'passkey'),
      }),
    );
  }

  const consent = await findCoveringConsent(ctx, session.user.id, request);
  if (consent && !request.prompt.includes('consent')) {
    await consumeInteraction(c, ctx, loaded);
    return redirectWithCode(c, ctx, loaded, session, consent.id);
  }
  return page(
    consentPage(consentView(ctx, { client, request, userEmail: session.user.email, action: interactionUrl(ctx, record.id, 'consent'), csrf })),
  );
}
