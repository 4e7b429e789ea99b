import { html } from './html.ts';
import { layout } from './layout.ts';

export interface TotpEnrollmentPageInput {
  action: string;
  csrf: string;
  email: string;
  /** Base32 secret, for typing into the app by hand. */
  secret: string;
  /** otpauth:// key URI, for apps that open or import it. */
  uri: string;
  /** Which pending secret this page shows (interaction/totp-enrollment.ts), posted back with the code. */
  id: string;
  error: string | null;
}

/**
 * Step two for an account without a second factor: set up an authenticator app, then prove it
 * with one code. Same form shape as the TOTP page (field id and name `totp`); the secret has a
 * stable id (`totp-secret`) for automation.
 */
export function totpEnrollmentPage(input: TotpEnrollmentPageInput): string {
  return layout({
    title: 'Set up two-step verification',
    body: html`<h1>Set up two-step verification</h1>
<p class="muted">Your account <strong>${input.email}</strong> needs a second step at sign-in. Add it to an authenticator app, then enter the code the app shows.</p>
${input.error ? html`<div class="alert error" role="alert" id="error">${input.error}</div>` : ''}
<h2 id="secret-heading">Your setup key</h2>
<p class="muted">In the app, choose to enter a setup key (time-based) and type:</p>
<p><code id="totp-secret">${input.secret}</code></p>
<p><a href="${input.uri}" id="totp-uri">Open in an authenticator app on this device</a></p>
<p class="muted">Key URI: <code id="totp-uri-text">${input.uri}</code></p>
<form method="post" action="${input.action}">
<input type="hidden" name="csrf" value="${input.csrf}">
<input type="hidden" name="enrollment" value="${input.id}">
<label for="totp">Authentication code</label>
<input id="totp" name="totp" class="code" type="text" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code" required autofocus aria-describedby="totp-help">
<p id="totp-help" class="muted">The 6-digit code the app shows for this account; it changes every 30 seconds.</p>
<div class="actions"><button type="submit" id="verify">Turn on and continue</button></div>
</form>`,
  });
}
