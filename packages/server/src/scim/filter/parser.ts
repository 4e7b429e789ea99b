/**
 * A recursive-descent parser for SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2).
 * Precedence: `not` / grouping bind tightest, then `and`, then `or` (§3.4.2.2, "precedence").
 * Every failure is a ScimError of one kind (invalidFilter for filters, invalidPath for paths):
 * callers and the property test rely on nothing else ever escaping.
 */
import { invalidFilter, invalidPath, type ScimError } from '../errors.ts';
import { COMPARE_OPS, type AttrPath, type CompareOp, type Filter, type Literal, type PatchPath } from './ast.ts';
import { tokenize, type Token } from './lexer.ts';

/** Long enough for any real provisioning filter; bounds work per request. */
export const MAX_FILTER_LENGTH = 4096;
/** Bounds recursion, so a deeply nested filter is an error and not a stack overflow. */
const MAX_DEPTH = 32;

export function parseFilter(text: string): Filter {
  const p = new Parser(text, invalidFilter);
  const filter = p.filter(0);
  p.end();
  return filter;
}

export function parsePatchPath(text: string): PatchPath {
  const p = new Parser(text, invalidPath);
  const result = p.patchPath();
  p.end();
  return result;
}

export function toAttrPath(word: string): AttrPath {
  let uri: string | null = null;
  let rest = word;
  if (/^urn:/i.test(word)) {
    const cut = word.lastIndexOf(':');
    uri = word.slice(0, cut);
    rest = word.slice(cut + 1);
  }
  const dot = rest.indexOf('.');
  return dot < 0 ? { uri, attr: rest, sub: null } : { uri, attr: rest.slice(0, dot), sub: rest.slice(dot + 1) };
}

class Parser {
  private readonly tokens: Token[];
  private i = 0;

  constructor(
    text: string,
    private readonly fail: (detail: string) => ScimError,
  ) {
    if (text.length > MAX_FILTER_LENGTH) throw fail(`The expression is longer than ${MAX_FILTER_LENGTH} characters.`);
    this.tokens = tokenize(text, fail);
    if (this.tokens.length === 0) throw fail('The expression is empty.');
  }

  end(): void {
    const t = this.tokens[this.i];
    if (t) throw this.fail(`Unexpected ${describe(t)} at position ${t.at}.`);
  }

  patchPath(): PatchPath {
    const path = this.attrPath();
    if (!this.peek('[')) return { path, filter: null, sub: null };
    if (path.sub !== null) throw this.fail('A value filter applies to a multi-valued attribute, not to a sub-attribute.');
    this.i += 1;
    const filter = this.filter(1, true);
    this.expect(']');
    const sub = this.tokens[this.i]?.t === 'sub' ? (this.tokens[this.i++] as { v: string }).v : null;
    return { path, filter, sub };
  }

  filter(depth: number, inValuePath = false): Filter {
    let left = this.conjunction(depth, inValuePath);
    while (this.keyword('or')) left = { kind: 'or', left, right: this.conjunction(depth, inValuePath) };
    return left;
  }

  private conjunction(depth: number, inValuePath: boolean): Filter {
    let left = this.unary(depth, inValuePath);
    while (this.keyword('and')) left = { kind: 'and', left, right: this.unary(depth, inValuePath) };
    return left;
  }

  private unary(depth: number, inValuePath: boolean): Filter {
    if (depth >= MAX_DEPTH) throw this.fail(`The expression nests deeper than ${MAX_DEPTH} levels.`);
    if (this.isKeyword('not') && this.tokens[this.i + 1]?.t === '(') {
      this.i += 1;
      return { kind: 'not', filter: this.group(depth + 1, inValuePath) };
    }
    if (this.peek('(')) return this.group(depth + 1, inValuePath);
    return this.attributeExpression(depth, inValuePath);
  }

  private group(depth: number, inValuePath: boolean): Filter {
    this.expect('(');
    const inner = this.filter(depth, inValuePath);
    this.expect(')');
    return inner;
  }

  private attributeExpression(depth: number, inValuePath: boolean): Filter {
    const path = this.attrPath();
    if (this.peek('[')) {
      if (inValuePath) throw this.fail('Value filters cannot be nested.');
      if (path.sub !== null) throw this.fail('A value filter applies to a multi-valued attribute, not to a sub-attribute.');
      this.i += 1;
      const inner = this.filter(depth + 1, true);
      this.expect(']');
      const next = this.tokens[this.i];
      if (next?.t !== 'sub') return { kind: 'valuePath', path, filter: inner };
      // `emails[type eq "work"].value co "@x"`: an element matching both (an extension of §3.4.2.2).
      this.i += 1;
      const subPath: AttrPath = { uri: null, attr: next.v, sub: null };
      return { kind: 'valuePath', path, filter: { kind: 'and', left: inner, right: this.operation(subPath) } };
    }
    return this.operation(path);
  }

  private operation(path: AttrPath): Filter {
    const t = this.tokens[this.i];
    if (t?.t !== 'word') throw this.fail(t ? `Expected an operator at position ${t.at}.` : 'Expected an operator at the end of the expression.');
    const op = t.v.toLowerCase();
    this.i += 1;
    if (op === 'pr') return { kind: 'present', path };
    if (!(COMPARE_OPS as readonly string[]).includes(op)) throw this.fail(`Unknown operator "${t.v}" at position ${t.at}.`);
    return { kind: 'compare', path, op: op as CompareOp, value: this.literal() };
  }

  private literal(): Literal {
    const t = this.tokens[this.i];
    if (!t) throw this.fail('Expected a value at the end of the expression.');
    this.i += 1;
    if (t.t === 'string' || t.t === 'number') return t.v;
    if (t.t === 'word') {
      const v = t.v.toLowerCase();
      if (v === 'true') return true;
      if (v === 'false') return false;
      if (v === 'null') return null;
    }
    throw this.fail(`Expected a string, number, true, false or null at position ${t.at}.`);
  }

  private attrPath(): AttrPath {
    const t = this.tokens[this.i];
    if (t?.t !== 'word') throw this.fail(t ? `Expected an attribute name at position ${t.at}.` : 'Expected an attribute name at the end of the expression.');
    this.i += 1;
    return toAttrPath(t.v);
  }

  private peek(kind: Token['t']): boolean {
    return this.tokens[this.i]?.t === kind;
  }

  private expect(kind: '(' | ')' | '[' | ']'): void {
    const t = this.tokens[this.i];
    if (t?.t !== kind) throw this.fail(t ? `Expected "${kind}" at position ${t.at}, found ${describe(t)}.` : `Expected "${kind}" at the end of the expression.`);
    this.i += 1;
  }

  private isKeyword(word: string): boolean {
    const t = this.tokens[this.i];
    return t?.t === 'word' && t.v.toLowerCase() === word;
  }

  private keyword(word: string): boolean {
    if (!this.isKeyword(word)) return false;
    this.i += 1;
    return true;
  }
}

function describe(t: Token): string {
  if (t.t === 'word' || t.t === 'sub') return `"${t.v}"`;
  if (t.t === 'string') return 'a string';
  if (t.t === 'number') return 'a number';
  return `"${t.t}"`;
}
