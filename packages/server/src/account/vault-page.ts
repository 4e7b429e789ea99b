/**
 * The "linked accounts" page (issue 5, VA-1/VA-2): each connection with the user's entry status
 * and, when the last refresh or revocation failed, what happened in words (vault-status.ts), so
 * the user sees a broken link and can link again. OAuth connections get Link / Link again /
 * Unlink; static-key connections get a key field (write-only: the stored key is never rendered,
 * not even masked) and Remove. Every value is escaped by the `html` tag, display names included
 * (an admin's text must not become markup on a user's page).
 */
import { html, type SafeHtml } from '../interaction/pages/html.ts';
import { layout } from '../interaction/pages/layout.ts';
import { MAX_STATIC_KEY_LENGTH } from '../vault/errors.ts';
import type { ConnectionView } from '../vault/connections.ts';
import type { EntryView } from '../vault/service.ts';
import { errorMessage, STATUS_LABEL } from './vault-status.ts';

const ERRORS: Record<string, string> = {
  link: 'The account could not be linked. Try again.',
  unlink: 'The account could not be unlinked. Try again.',
  unknown_connection: 'This connection does not exist any more.',
  unlink_pending: 'This account is still being unlinked. Unlink it again before linking it anew.',
  key: `The key could not be saved. A key is 1 to ${MAX_STATIC_KEY_LENGTH} characters, without control characters.`,
};

export interface VaultPagePaths {
  link: string;
  unlink: string;
  key: string;
}

export interface VaultPageQuery {
  linked?: string | undefined;
  unlinked?: string | undefined;
  stored?: string | undefined;
  removed?: string | undefined;
  error?: string | undefined;
}

function actionsFor(c: ConnectionView, entry: EntryView | undefined, csrf: string, paths: VaultPagePaths): SafeHtml {
  const hidden = html`<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="connection" value="${c.id}">`;
  const button = (action: string, label: string, secondary: boolean) =>
    html`<form method="post" action="${action}">${hidden}<div class="actions"><button type="submit"${secondary ? html` class="secondary"` : ''}>${label}</button></div></form>`;
  // Unlinking failed at the provider: retrying it is the only step (a new link would overwrite tokens still live there).
  if (entry?.status === 'revoked') return button(paths.unlink, 'Unlink again', false);
  if (c.kind === 'static') {
    const field = `key-${c.id}`;
    const form = html`<form method="post" action="${paths.key}">${hidden}<label for="${field}">${entry ? 'New API key' : 'API key'}</label><input id="${field}" name="api_key" type="password" autocomplete="off" spellcheck="false" maxlength="${MAX_STATIC_KEY_LENGTH}" required><div class="actions"><button type="submit">${entry ? 'Replace key' : 'Save key'}</button></div></form>`;
    return entry ? html`${form}${button(paths.unlink, 'Remove key', true)}` : form;
  }
  if (!entry) return button(paths.link, 'Link', false);
  if (entry.status === 'refresh_failed') return html`${button(paths.link, 'Link again', false)}${button(paths.unlink, 'Unlink', true)}`;
  return button(paths.unlink, 'Unlink', true);
}

export function linkedAccountsPage(o: { email: string; csrf: string; connections: ConnectionView[]; entries: EntryView[]; paths: VaultPagePaths; query: VaultPageQuery }): string {
  const byConnection = new Map(o.entries.map((e) => [e.connectionId, e]));
  const items = o.connections.map((c) => {
    const entry = byConnection.get(c.id);
    const status = entry ? STATUS_LABEL[entry.status] : 'Not linked';
    const problem = entry?.lastError ? html`<p class="muted" data-error="${entry.lastError}">${errorMessage(entry.lastError)}</p>` : '';
    return html`<li data-connection="${c.id}"><span class="item-name">${c.displayName}</span> <span class="muted" data-status="${entry?.status ?? 'none'}">${status}</span>${problem}${actionsFor(c, entry, o.csrf, o.paths)}</li>`;
  });
  // The query names a connection id; show its display name when it still exists (escaped either way).
  const name = (id: string) => o.connections.find((c) => c.id === id)?.displayName ?? id;
  const q = o.query;
  const notice = q.linked ? `Linked ${name(q.linked)}.` : q.unlinked ? `Unlinked ${name(q.unlinked)}.` : q.stored ? `Saved the key for ${name(q.stored)}.` : q.removed ? `Removed the key for ${name(q.removed)}.` : null;
  const error = q.error ? (ERRORS[q.error] ?? null) : null;
  return layout({
    title: 'Linked accounts',
    body: html`<h1>Linked accounts</h1>
<p class="muted">Signed in as ${o.email}. Agents you allow receive short-lived access to these accounts; the accounts' long-lived credentials never leave this server.</p>
${error ? html`<div class="alert error" role="alert"><p>${error}</p></div>` : ''}
${notice ? html`<div class="alert warning" role="status"><p>${notice}</p></div>` : ''}
${items.length > 0 ? html`<ul class="items">${items}</ul>` : html`<p>No connections are configured.</p>`}`,
  });
}
