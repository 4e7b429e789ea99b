import { html, type SafeHtml } from './html.ts';
import { layout } from './layout.ts';

export interface ConsentPageInput {
  action: string;
  csrf: string;
  userEmail: string;
  clientName: string;
  /** For clients identified by a metadata document URL (AS-6): the host of that URL. */
  clientIdHost: string | null;
  /** Where the browser goes after the decision, shown plainly (AS-6, AS-8). */
  redirectHost: string;
  redirectNote: string | null;
  /** AS-6: a metadata-document client whose redirect URIs are all on localhost. */
  localhostOnlyWarning: boolean;
  scopes: { name: string; description: string }[];
  resources: string[];
  authorizationDetails: { type: string; description: string; fields: [string, string][] }[];
  /** "Not you?": POST /account/logout with its CSRF token for this session (account/logout.ts). */
  signOut: { action: string; csrf: string; interaction?: string };
}

function scopesSection(scopes: ConsentPageInput['scopes']): SafeHtml {
  if (scopes.length === 0) return html`<h2>Permissions</h2><p class="muted">Basic access only; no specific permissions requested.</p>`;
  return html`<h2>Permissions</h2>
<ul class="items" id="scopes">${scopes.map((s) => html`<li><span class="item-name">${s.description}</span><code>${s.name}</code></li>`)}</ul>`;
}

function resourcesSection(resources: string[]): SafeHtml | '' {
  if (resources.length === 0) return '';
  return html`<h2>At these services</h2>
<ul class="items" id="resources">${resources.map((r) => html`<li><span class="mono">${r}</span></li>`)}</ul>`;
}

function detailsSection(details: ConsentPageInput['authorizationDetails']): SafeHtml | '' {
  if (details.length === 0) return '';
  return html`<h2>For these specific actions</h2>
<ul class="items" id="authorization-details">${details.map(
    (d) => html`<li><span class="item-name">${d.description || d.type}</span>
<dl><dt>type</dt><dd><code>${d.type}</code></dd>${d.fields.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl></li>`,
  )}</ul>`;
}

/**
 * The consent page (AS-8): who is asking, what for, and where the answer goes. Buttons `approve`
 * and `deny`; after them (tests and scripts read the first form) `logout`, for whoever finds
 * someone else signed in.
 */
export function consentPage(input: ConsentPageInput): string {
  return layout({
    title: `Allow ${input.clientName}?`,
    body: html`<h1><span id="client-name">${input.clientName}</span> wants access to your account</h1>
<p class="muted">Signed in as <strong>${input.userEmail}</strong></p>
${input.clientIdHost ? html`<p>This application is identified by <strong class="mono" id="client-id-host">${input.clientIdHost}</strong>.</p>` : ''}
<p>After you decide, you will be sent to<br><span class="host" id="redirect-host">${input.redirectHost}</span>${input.redirectNote ? html`<br><span class="muted">${input.redirectNote}</span>` : ''}</p>
${
  input.localhostOnlyWarning
    ? html`<div class="alert warning" role="alert" id="localhost-warning">This application only returns to <strong>localhost</strong>, a program on this computer. Allow it only if you just started it yourself.</div>`
    : ''
}
${scopesSection(input.scopes)}
${resourcesSection(input.resources)}
${detailsSection(input.authorizationDetails)}
<form method="post" action="${input.action}">
<input type="hidden" name="csrf" value="${input.csrf}">
<div class="actions">
<button type="submit" name="decision" value="deny" id="deny" class="secondary">Deny</button>
<button type="submit" name="decision" value="approve" id="approve">Allow</button>
</div>
</form>
<footer>You can revoke this access at any time.</footer>
<form method="post" action="${input.signOut.action}" id="sign-out">
<input type="hidden" name="csrf" value="${input.signOut.csrf}">
${input.signOut.interaction !== undefined ? html`<input type="hidden" name="interaction" value="${input.signOut.interaction}">` : ''}
<p><button type="submit" class="secondary" id="logout">Not you? Sign out</button></p>
<footer>Signing out ends your session in this browser and revokes the access granted while signed in here.</footer>
</form>`,
  });
}
