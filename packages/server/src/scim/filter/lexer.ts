/**
 * Tokens of the filter grammar (RFC 7644 §3.4.2.2). Attribute paths, operators and keywords are
 * all words here; the parser tells them apart by position, so an attribute may be called `pr`.
 */
import type { ScimError } from '../errors.ts';

export type Token =
  | { t: '(' | ')' | '[' | ']'; at: number }
  | { t: 'word'; v: string; at: number }
  /** `.sub` right after `]` (PATCH paths, `emails[...].value`). */
  | { t: 'sub'; v: string; at: number }
  | { t: 'string'; v: string; at: number }
  | { t: 'number'; v: number; at: number };

/** Attribute path: optional schema URN prefix, ATTRNAME, optional `.subAttr` (RFC 7644 §3.10). */
const WORD = /(?:urn:[A-Za-z0-9.:_-]+:)?[A-Za-z$][\w$-]*(?:\.[A-Za-z$][\w$-]*)?/y;
const SUB = /\.[A-Za-z$][\w$-]*/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const SPACE = /[ \t\r\n]+/y;

function sticky(re: RegExp, text: string, at: number): string | null {
  re.lastIndex = at;
  const m = re.exec(text);
  return m ? m[0] : null;
}

export function tokenize(text: string, fail: (detail: string) => ScimError): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const space = sticky(SPACE, text, i);
    if (space) {
      i += space.length;
      continue;
    }
    const ch = text[i]!;
    if (ch === '(' || ch === ')' || ch === '[' || ch === ']') {
      tokens.push({ t: ch, at: i });
      i += 1;
      continue;
    }
    if (ch === '"') {
      const s = sticky(STRING, text, i);
      if (!s) throw fail(`Unterminated or malformed string at position ${i}.`);
      tokens.push({ t: 'string', v: JSON.parse(s) as string, at: i });
      i += s.length;
      continue;
    }
    if (ch === '.' && tokens.at(-1)?.t === ']') {
      const s = sticky(SUB, text, i);
      if (!s) throw fail(`Expected a sub-attribute name at position ${i}.`);
      tokens.push({ t: 'sub', v: s.slice(1), at: i });
      i += s.length;
      continue;
    }
    const n = sticky(NUMBER, text, i);
    if (n) {
      const v = Number(n);
      if (!Number.isFinite(v)) throw fail(`The number at position ${i} is out of range.`);
      tokens.push({ t: 'number', v, at: i });
      i += n.length;
      continue;
    }
    const w = sticky(WORD, text, i);
    if (w) {
      tokens.push({ t: 'word', v: w, at: i });
      i += w.length;
      continue;
    }
    throw fail(`Unexpected character ${JSON.stringify(ch)} at position ${i}.`);
  }
  return tokens;
}
