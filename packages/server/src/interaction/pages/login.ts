import { html } from './html.ts';
import { layout } from './layout.ts';
import { ssoSection, type SsoOptions } from './sso.ts';

export interface LoginPageInput {
  action: string;
  csrf: string;
  clientName: string;
  email: string | null;
  error: string | null;
  /** The passkey sign-in page of this interaction (HU-1: passkeys preferred). */
  passkeyUrl?: string;
  /** Upstream OpenID Providers (SSO), when any are configured. */
  sso?: SsoOptions;
}

/** Step one: email and password. Field ids and names are stable (`email`, `password`) for automation. */
export function loginPage(input: LoginPageInput): string {
  return layout({
    title: 'Sign in',
    body: html`<h1>Sign in</h1>
<p class="muted">to continue to <strong>${input.clientName}</strong></p>
${input.error ? html`<div class="alert error" role="alert" id="error">${input.error}</div>` : ''}
<form method="post" action="${input.action}">
<input type="hidden" name="csrf" value="${input.csrf}">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required autofocus value="${input.email ?? ''}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<div class="actions"><button type="submit" id="sign-in">Continue</button></div>
</form>
${input.passkeyUrl ? html`<p><a href="${input.passkeyUrl}" id="passkey-sign-in">Sign in with a passkey instead</a></p>` : ''}
${input.sso ? ssoSection(input.sso) : ''}`,
  });
}
