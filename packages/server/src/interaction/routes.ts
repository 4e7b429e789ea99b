/**
 * The login, TOTP and consent pages (AS-8) under Paths.interaction:
 *
 *   GET  /interaction/:id          the next page (steps/show.ts)
 *   POST /interaction/:id/login    email + password (steps/login.ts)
 *   POST /interaction/:id/totp     second factor (steps/totp.ts)
 *   POST /interaction/:id/totp-enrollment  first code of a TOTP set up at login (steps/totp-enrollment.ts)
 *   POST /interaction/:id/consent  approve / deny (steps/consent.ts)
 *   GET  /interaction/:id/passkey  passkey sign-in or step-up page (steps/passkey.ts)
 *   POST /interaction/:id/passkey  the WebAuthn assertion (steps/passkey.ts)
 *   POST /interaction/:id/sso      leave for an upstream OpenID Provider (steps/upstream-start.ts)
 *   GET  /sso/callback             its answer, interaction found by state (steps/upstream-callback.ts)
 *
 * Every request must come from the browser that started the interaction (binding.ts); every post
 * carries the CSRF token of the interaction and is answered with 303 See Other.
 */
import type { Context, Hono } from 'hono';
import type { ServerContext } from '../context.ts';
import { Paths } from '../endpoints/paths.ts';
import { readForm, type Params } from '../http/params.ts';
import { CSRF_FIELD, isValidCsrfToken } from './csrf.ts';
import { InteractionPageError, renderPageError } from './errors.ts';
import { loadInteraction, type LoadedInteraction } from './load.ts';
import { showInteraction } from './steps/show.ts';
import { postLogin } from './steps/login.ts';
import { postTotp } from './steps/totp.ts';
import { postTotpEnrollment } from './steps/totp-enrollment.ts';
import { postConsent } from './steps/consent.ts';
import { postPasskey, showPasskey } from './steps/passkey.ts';
import { LoginThrottle } from './throttle.ts';
import { postUpstreamStart } from './steps/upstream-start.ts';
import { upstreamCallback } from './steps/upstream-callback.ts';
import { UPSTREAM_CALLBACK_PATH } from '../federation/upstream/paths.ts';

type FormStep = (c: Context, loaded: LoadedInteraction, form: Params) => Promise<Response>;

export function registerInteractionRoutes(app: Hono, ctx: ServerContext): void {
  const throttle = new LoginThrottle(ctx);
  const base = `${Paths.interaction}/:id`;

  const page = (show: typeof showInteraction) => async (c: Context) => {
    try {
      return await show(c, ctx, await loadInteraction(c, ctx, c.req.param('id') ?? ''));
    } catch (err) {
      return renderPageError(c, err);
    }
  };
  app.get(base, page(showInteraction));
  app.get(`${base}/passkey`, page(showPasskey));

  const post = (step: FormStep) => async (c: Context) => {
    try {
      const loaded = await loadInteraction(c, ctx, c.req.param('id') ?? '');
      const form = await readForm(c);
      if (!isValidCsrfToken(ctx, loaded.record.id, form.get(CSRF_FIELD))) {
        throw new InteractionPageError(403, 'This form has expired', 'The form could not be verified (missing or wrong security token). Go back, reload the page and try again.');
      }
      return await step(c, loaded, form);
    } catch (err) {
      return renderPageError(c, err);
    }
  };
  app.post(`${base}/login`, post((c, loaded, form) => postLogin(c, ctx, throttle, loaded, form)));
  app.post(`${base}/totp`, post((c, loaded, form) => postTotp(c, ctx, throttle, loaded, form)));
  app.post(`${base}/totp-enrollment`, post((c, loaded, form) => postTotpEnrollment(c, ctx, throttle, loaded, form)));
  app.post(`${base}/consent`, post((c, loaded, form) => postConsent(c, ctx, loaded, form)));
  app.post(`${base}/passkey`, post((c, loaded, form) => postPasskey(c, ctx, throttle, loaded, form)));
  app.post(`${base}/sso`, post((c, loaded, form) => postUpstreamStart(c, ctx, loaded, form)));
  app.get(UPSTREAM_CALLBACK_PATH, (c) => upstreamCallback(c, ctx));
}
