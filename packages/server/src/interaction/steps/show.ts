/**
 * GET /interaction/:id — the next page of a pending authorization: login (password), then TOTP
 * (or setting TOTP up, for an account without it), then consent. When the browser's session
 * already fits the request and a remembered consent covers it (and prompt≠consent), no page is
 * shown: the browser goes straight back to the client.
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
import { totpEnrollmentPage } from '../pages/totp-enrollment.ts';
import { readPendingLogin } from '../pending-login.ts';
import { sendPage } from '../respond.ts';
import { currentSession } from '../session.ts';
import { authenticationStep } from '../step-up.ts';
import { beginEnrollment } from '../totp-enrollment.ts';
import { hasTotp } from '../totp.ts';
import { interactionUrl } from '../urls.ts';
import { signOutForm } from '../../account/logout.ts';
import { upstreamClients } from '../../federation/upstream/clients.ts';
import { renderPasskeyStep } from './passkey.ts';
import { redirectForLoginHint } from './upstream-login-hint.ts';

/** Messages for the `error` query parameter set by the form posts (codes only, never user input). */
const MESSAGES: Record<string, string> = {
  credentials: 'The email or password is incorrect.',
  totp: 'That code is not valid. Check your authenticator app and try again.',
  totp_reused: 'That code was already used. Wait for the next code and try again.',
  totp_key_replaced: 'That setup key is no longer valid: a newer sign-in replaced it. Add the key below to your authenticator app and enter its code.',
  expired: 'Your sign-in took too long. Please enter your email and password again.',
  sso_domain: 'Single sign-on is not set up for that email address. Sign in with your password instead.',
};

export async function showInteraction(c: Context, ctx: ServerContext, loaded: LoadedInteraction): Promise<Response> {
  const { record, request, client } = loaded;
  const csrf = csrfToken(ctx, record.id);
  const error = MESSAGES[c.req.query('error') ?? ''] ?? null;
  const page = (html: string, extraTargets: string[] = []) => sendPage(c, html, { formTargets: [request.redirectUri, ...extraTargets] });

  const session = await currentSession(c, ctx);
  const step = await authenticationStep(ctx, session, request, record);
  if (!session || step.kind !== 'none') {
    const pending = await readPendingLogin(c, ctx, record.id);
    const user = pending ? await ctx.storage.users.get(pending.userId) : null;
    if (pending && user && !user.disabled) {
      if (hasTotp(user)) return page(totpPage({ action: interactionUrl(ctx, record.id, 'totp'), csrf, email: user.email, error }));
      // HU-1: no second factor yet — set one up before the password counts (totp-enrollment.ts).
      const enrollment = await beginEnrollment(ctx, record, pending, user.email);
      if (enrollment) return page(totpEnrollmentPage({ action: interactionUrl(ctx, record.id, 'totp-enrollment'), csrf, email: user.email, ...enrollment, error }));
    }
    if (step.kind === 'passkey' && c.req.query('method') !== 'password') return renderPasskeyStep(c, ctx, loaded, step.user);
    const upstream = upstreamClients(ctx);
    const sso = upstream.providers.length > 0;
    const hinted = sso ? await redirectForLoginHint(c, ctx, loaded) : null;
    if (hinted) return hinted;
    // Only the login page posts to a provider (its SSO forms): only it waits for their origins.
    const ssoTargets = sso ? await upstream.formTargets() : [];
    return page(
      loginPage({
        action: interactionUrl(ctx, record.id, 'login'),
        csrf,
        clientName: clientDisplayName(client),
        email: request.loginHint,
        error,
        passkeyUrl: interactionUrl(ctx, record.id, 'passkey'),
        ...(sso
          ? {
              sso: {
                action: interactionUrl(ctx, record.id, 'sso'),
                csrf,
                providers: upstream.providers.map((p) => ({ id: p.id, displayName: p.displayName })),
                emailDiscovery: upstream.providers.some((p) => p.emailDomains.length > 0),
                email: request.loginHint,
              },
            }
          : {}),
      }),
      ssoTargets,
    );
  }

  const consent = await findCoveringConsent(ctx, session.user.id, request);
  if (consent && !request.prompt.includes('consent')) {
    await consumeInteraction(c, ctx, loaded);
    return redirectWithCode(c, ctx, loaded, session, consent.id);
  }
  return page(
    consentPage(
      consentView(ctx, {
        client,
        request,
        userEmail: session.user.email,
        action: interactionUrl(ctx, record.id, 'consent'),
        csrf,
        signOut: signOutForm(ctx, session.record.idHash, record.id), // back to this authorization, at its login step
      }),
    ),
  );
}
