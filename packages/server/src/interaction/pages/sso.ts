import { html, type SafeHtml } from './html.ts';

export interface SsoOptions {
  /** POST /interaction/:id/sso */
  action: string;
  csrf: string;
  providers: { id: string; displayName: string }[];
  /** Show the work-email field (some provider has home-realm domains). */
  emailDiscovery: boolean;
  email: string | null;
}

/**
 * The single sign-on part of the login page (HU-1, EN-1): email-first home-realm discovery and
 * one "Continue with …" button per provider. Placed after the password form, so that form stays
 * the page's first (automation finds `email` / `password` there).
 */
export function ssoSection(input: SsoOptions): SafeHtml {
  const hidden = html`<input type="hidden" name="csrf" value="${input.csrf}">`;
  return html`<section id="sso" aria-labelledby="sso-title">
<h2 id="sso-title">Or use your organisation’s sign-in</h2>
${
  input.emailDiscovery
    ? html`<form method="post" action="${input.action}" id="sso-email-form">
${hidden}
<label for="sso-email">Work email</label>
<input id="sso-email" name="email" type="email" autocomplete="username" required value="${input.email ?? ''}">
<div class="actions"><button type="submit" id="sso-continue">Continue with single sign-on</button></div>
</form>`
    : ''
}
${input.providers.map(
  (p) => html`<form method="post" action="${input.action}" class="sso-provider">
${hidden}
<input type="hidden" name="provider" value="${p.id}">
<button type="submit" id="sso-${p.id}">Continue with ${p.displayName}</button>
</form>`,
)}
</section>`;
}
