import { html } from './html.ts';
import { layout } from './layout.ts';

export interface TotpPageInput {
  action: string;
  csrf: string;
  email: string;
  error: string | null;
}

/** Step two: the 6-digit code of the authenticator app (field id and name `totp`). */
export function totpPage(input: TotpPageInput): string {
  return layout({
    title: 'Two-step verification',
    body: html`<h1>Two-step verification</h1>
<p class="muted">Enter the 6-digit code from the authenticator app set up for <strong>${input.email}</strong>.</p>
${input.error ? html`<div class="alert error" role="alert" id="error">${input.error}</div>` : ''}
<form method="post" action="${input.action}">
<input type="hidden" name="csrf" value="${input.csrf}">
<label for="totp">Authentication code</label>
<input id="totp" name="totp" class="code" type="text" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code" required autofocus aria-describedby="totp-help">
<p id="totp-help" class="muted">The code changes every 30 seconds.</p>
<div class="actions"><button type="submit" id="verify">Verify</button></div>
</form>`,
  });
}
