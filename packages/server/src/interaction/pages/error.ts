import { html } from './html.ts';
import { layout } from './layout.ts';

/**
 * The page shown when nothing can be sent back to the client: unknown client, unregistered
 * redirect URI (RFC 6749 §4.1.2.1: never redirect then), an expired or foreign interaction.
 */
export function errorPage(options: { title: string; message: string; code?: string }): string {
  return layout({
    title: options.title,
    body: html`<h1>${options.title}</h1>
<div class="alert error" role="alert"><p>${options.message}</p></div>
${options.code ? html`<p class="muted">Error code: <code>${options.code}</code></p>` : ''}
<p class="muted">Return to the application you came from and start again. If this keeps happening, contact the application's developer.</p>`,
  });
}
