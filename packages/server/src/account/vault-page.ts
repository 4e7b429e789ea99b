/**
 * The "linked accounts" page (issue 5, VA-1): each connection with the user's entry status and
 * the last provider error (so a failed refresh is shown to the user, who must link again), and a
 * link or unlink button. Never a token; static keys (stored through `TokenVault.storeStaticKey`) are only unlinked here.
 */
import { html } from '../interaction/pages/html.ts';
import { layout } from '../interaction/pages/layout.ts';
import type { ConnectionView } from '../vault/connections.ts';
import type { EntryView } from '../vault/service.ts';

const STATUS: Record<string, string> = {
  ok: 'Linked',
  refresh_failed: 'Needs linking again: the provider refused to renew access',
  revoked: 'Unlinked (revocation at the provider pending)',
};

const ERRORS: Record<string, string> = {
  link: 'The account could not be linked. Try again.',
  unlink: 'The account could not be unlinked. Try again.',
  unknown_connection: 'This connection does not exist any more.',
};

export function linkedAccountsPage(o: {
  email: string;
  csrf: string;
  connections: ConnectionView[];
  entries: EntryView[];
  paths: { link: string; unlink: string };
  query: { linked: string | undefined; unlinked: string | undefined; error: string | undefined };
}): string {
  const byConnection = new Map(o.entries.map((e) => [e.connectionId, e]));
  const items = o.connections.map((c) => {
    const entry = byConnection.get(c.id);
    const form = (action: string, label: string, secondary: boolean) =>
      html`<form method="post" action="${action}"><input type="hidden" name="csrf" value="${o.csrf}"><input type="hidden" name="connection" value="${c.id}"><div class="actions"><button type="submit"${secondary ? html` class="secondary"` : ''}>${label}</button></div></form>`;
    const status = entry ? (STATUS[entry.status] ?? entry.status) : 'Not linked';
    const action = entry ? form(o.paths.unlink, 'Unlink', true) : c.kind === 'oauth' ? form(o.paths.link, 'Link', false) : '';
    return html`<li><span class="item-name">${c.displayName}</span><span class="muted" data-status="${entry?.status ?? 'none'}">${status}</span>${entry?.lastError ? html`<p class="muted">Last error: <code>${entry.lastError}</code></p>` : ''}${action}</li>`;
  });
  const notice = o.query.linked ? `Linked ${o.query.linked}.` : o.query.unlinked ? `Unlinked ${o.query.unlinked}.` : null;
  const error = o.query.error ? (ERRORS[o.query.error] ?? null) : null;
  return layout({
    title: 'Linked accounts',
    body: html`<h1>Linked accounts</h1>
<p class="muted">Signed in as ${o.email}. Agents you allow receive short-lived access to these accounts; the accounts' long-lived credentials never leave this server.</p>
${error ? html`<div class="alert error" role="alert"><p>${error}</p></div>` : ''}
${notice ? html`<div class="alert warning" role="status"><p>${notice}</p></div>` : ''}
${items.length > 0 ? html`<ul class="items">${items}</ul>` : html`<p>No connections are configured.</p>`}`,
  });
}
