import { html } from './html.ts';
import { layout } from './layout.ts';
import { WEBAUTHN_SCRIPT } from './webauthn-script.ts';

export interface PasskeyPageInput {
  title: string;
  /** Plain words above the button: why a passkey is asked for. */
  intro: string;
  action: string;
  csrf: string;
  /** `get` to sign in, `create` to add a passkey. */
  ceremony: 'get' | 'create';
  /** The ceremony options as JSON (public values only: challenge, RP, allowed credentials). */
  options: string;
  buttonLabel: string;
  error: string | null;
  /** Another way to sign in (the password page), when there is one. */
  alternative: { href: string; label: string } | null;
  /** Extra fields of the form (the passkey's name when adding one). */
  nameField?: boolean;
  /** Passkeys already registered (the account page). */
  registered?: { name: string; createdAt: string; lastUsed: string }[];
  notice?: string | null;
}

/**
 * The passkey step (HU-1): one button that runs the WebAuthn ceremony. Stable ids for automation:
 * form `passkey-form`, button `use-passkey` / `add-passkey`, status `passkey-status`.
 */
export function passkeyPage(input: PasskeyPageInput): string {
  return layout({
    title: input.title,
    body: html`<h1>${input.title}</h1>
<p class="muted">${input.intro}</p>
${input.error ? html`<div class="alert error" role="alert" id="error">${input.error}</div>` : ''}
${input.notice ? html`<div class="alert" role="status" id="notice">${input.notice}</div>` : ''}
${
  input.registered
    ? html`<h2>Your passkeys</h2>${
        input.registered.length === 0
          ? html`<p class="muted" id="no-passkeys">No passkey yet.</p>`
          : html`<ul class="items" id="passkeys">${input.registered.map((p) => html`<li><span class="item-name">${p.name}</span><span class="muted">Added ${p.createdAt} · last used ${p.lastUsed}</span></li>`)}</ul>`
      }`
    : ''
}
<div class="alert warning" role="alert" id="passkey-unsupported" hidden>This browser cannot use passkeys.</div>
<form method="post" action="${input.action}" id="passkey-form" data-ceremony="${input.ceremony}" data-options="${input.options}">
<input type="hidden" name="csrf" value="${input.csrf}">
<input type="hidden" name="credential" value="">
${input.nameField ? html`<label for="passkey-name">Name for this passkey</label><input id="passkey-name" name="name" type="text" maxlength="60" value="Passkey">` : ''}
<div class="actions"><button type="submit" id="${input.ceremony === 'create' ? 'add-passkey' : 'use-passkey'}">${input.buttonLabel}</button></div>
<p id="passkey-status" class="muted" role="status" aria-live="polite"></p>
</form>
${input.alternative ? html`<p><a href="${input.alternative.href}" id="passkey-alternative">${input.alternative.label}</a></p>` : ''}`,
    script: WEBAUTHN_SCRIPT,
  });
}
