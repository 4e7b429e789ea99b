/**
 * Reads the one form of a server-rendered login, TOTP or consent page: where it posts, its hidden
 * fields (the CSRF token), and which visible fields it asks for. The pages promise stable field
 * names (email, password, totp, decision=approve|deny), so a small parser is enough.
 */
export interface PageForm {
  action: string;
  hidden: Record<string, string>;
  /** Names of the non-hidden inputs and of the submit buttons. */
  fields: string[];
  /** Values of buttons named `decision`. */
  decisions: string[];
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

export function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e] ?? e);
}

function attribute(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m?.[1] === undefined ? undefined : decodeEntities(m[1]);
}

export function parseForm(html: string, pageUrl: URL): PageForm | null {
  const form = /<form\b[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return null;
  const openTag = /<form\b[^>]*>/i.exec(form[0])?.[0] ?? '';
  const action = new URL(attribute(openTag, 'action') ?? pageUrl.href, pageUrl).href;
  const hidden: Record<string, string> = {};
  const fields: string[] = [];
  const decisions: string[] = [];
  for (const [tag] of (form[1] ?? '').matchAll(/<(input|button)\b[^>]*>/gi)) {
    const name = attribute(tag, 'name');
    if (name === undefined) continue;
    if (attribute(tag, 'type') === 'hidden') hidden[name] = attribute(tag, 'value') ?? '';
    else fields.push(name);
    if (name === 'decision') decisions.push(attribute(tag, 'value') ?? '');
  }
  return { action, hidden, fields, decisions };
}

/** The visible text of a page's headings and alerts, for error messages that say what went wrong. */
export function pageSummary(html: string): string {
  const parts = [...html.matchAll(/<(h1|h2|p|div)\b[^>]*>([\s\S]*?)<\/\1>/gi)].map((m) => decodeEntities((m[2] ?? '').replace(/<[^>]+>/g, '').trim()));
  return parts.filter(Boolean).slice(0, 6).join(' | ');
}

/** Text content of the element with this id (consent page: client-name, redirect-host, …). */
export function elementText(html: string, id: string): string | undefined {
  const m = new RegExp(`<(\\w+)\\b[^>]*\\sid="${id}"[^>]*>([\\s\\S]*?)</\\1>`).exec(html);
  return m?.[2] === undefined ? undefined : decodeEntities(m[2].replace(/<[^>]+>/g, '').trim());
}
