/** RFC 6749 §3.3: scope is a space-delimited list of case-sensitive tokens of NQCHAR. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export function isValidScopeToken(token: string): boolean {
  return SCOPE_TOKEN.test(token);
}

/** Splits a scope string into a set of tokens; returns undefined when any token is malformed. */
export function parseScope(value: string | undefined | null): Set<string> | undefined {
  if (value === undefined || value === null) return new Set();
  const tokens = value.split(' ').filter((t) => t.length > 0);
  if (!tokens.every(isValidScopeToken)) return undefined;
  return new Set(tokens);
}

export function formatScope(scopes: Iterable<string>): string {
  return [...new Set(scopes)].sort().join(' ');
}

export function intersectScopes(a: Iterable<string>, b: Iterable<string>): Set<string> {
  const right = new Set(b);
  return new Set([...a].filter((s) => right.has(s)));
}

export function isSubset(inner: Iterable<string>, outer: Iterable<string>): boolean {
  const o = new Set(outer);
  for (const s of inner) if (!o.has(s)) return false;
  return true;
}
