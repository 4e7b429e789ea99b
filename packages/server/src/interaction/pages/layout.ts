/**
 * The page frame shared by login, TOTP, consent and error pages: one small inline stylesheet
 * (allowed by its hash in the Content-Security-Policy, so no 'unsafe-inline'), no scripts, no
 * external assets, system fonts, WCAG AA contrast and a visible focus ring.
 */
import { createHash } from 'node:crypto';
import { html, SafeHtml } from './html.ts';

const STYLESHEET = `
:root{color-scheme:light;--ink:#1b1f24;--muted:#4a5360;--line:#d5dae0;--brand:#1f4fd1;--brand-dark:#173c9f;--bg:#f3f5f8}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:var(--bg);color:var(--ink);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;padding:1.5rem}
main{width:100%;overflow-wrap:anywhere;max-width:28rem;background:#fff;border:1px solid var(--line);border-radius:14px;box-shadow:0 8px 28px rgba(20,30,50,.08);padding:2rem}
.brand{font-size:.8rem;font-weight:700;letter-spacing:.08em;text-transform:uppercase;color:var(--muted);margin:0 0 1rem}
h1{font-size:1.4rem;line-height:1.3;margin:0 0 .5rem}
h2{font-size:1rem;margin:1.5rem 0 .5rem}
p{margin:.25rem 0 1rem}
.muted{color:var(--muted)}
label{display:block;font-weight:600;margin:1rem 0 .35rem}
input{width:100%;font:inherit;padding:.65rem .75rem;border:1px solid #8a949f;border-radius:8px;color:var(--ink);background:#fff}
input.code{font-size:1.4rem;letter-spacing:.4em;text-align:center;font-variant-numeric:tabular-nums}
:focus-visible{outline:3px solid var(--brand);outline-offset:2px}
.actions{display:flex;gap:.75rem;margin-top:1.5rem}
button{flex:1;font:inherit;font-weight:600;padding:.7rem 1rem;border-radius:8px;border:1px solid var(--brand);background:var(--brand);color:#fff;cursor:pointer}
button:hover{background:var(--brand-dark)}
button.secondary{background:#fff;color:var(--ink);border-color:#8a949f}
button.secondary:hover{background:#eef1f4}
.alert{border-radius:8px;padding:.75rem 1rem;margin:0 0 1rem;border:1px solid}
.alert.error{background:#fdecec;border-color:#f0b4b4;color:#7d1a1a}
.alert.warning{background:#fff4de;border-color:#f0cf8c;color:#6b4200}
ul.items{list-style:none;padding:0;margin:0;border:1px solid var(--line);border-radius:10px}
ul.items li{padding:.6rem .9rem;border-top:1px solid var(--line)}
ul.items li:first-child{border-top:0}
.item-name{font-weight:600;display:block}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em;word-break:break-all}
dl{margin:.25rem 0 0;display:grid;grid-template-columns:max-content 1fr;gap:.15rem .75rem;font-size:.92rem}
dt{color:var(--muted)}
dd{margin:0;word-break:break-word}
.host{font-size:1.05rem;font-weight:700;word-break:break-all}
footer{margin-top:1.5rem;font-size:.85rem;color:var(--muted)}
`;

/** CSP hash source for the stylesheet (CSP Level 3 §8.4). */
export const STYLE_HASH_SOURCE = `'sha256-${createHash('sha256').update(STYLESHEET).digest('base64')}'`;

/** `script`: an inline script the page's CSP allows by hash (the passkey pages only). */
export function layout(options: { title: string; body: SafeHtml; script?: string }): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${options.title} · Mandate</title>
<style>${new SafeHtml(STYLESHEET)}</style>
</head>
<body>
<main>
<p class="brand">Mandate</p>
${options.body}
</main>
${options.script === undefined ? '' : html`<script>${new SafeHtml(options.script)}</script>`}
</body>
</html>
`.value;
}
