/**
 * Scope hierarchies (STEP-2): a granted scope implies others (`hr:write` → `hr:read`),
 * transitively. Checking expands the granted set; challenges name the required scopes.
 */

export class ScopeHierarchy {
  constructor(private readonly implies: Record<string, string[]> = {}) {}

  /** Everything the granted scopes give, the implied ones included. */
  expand(granted: readonly string[]): Set<string> {
    const out = new Set<string>();
    const stack = [...granted];
    while (stack.length > 0) {
      const scope = stack.pop()!;
      if (out.has(scope)) continue;
      out.add(scope);
      for (const implied of this.implies[scope] ?? []) stack.push(implied);
    }
    return out;
  }

  /** The required scopes the granted ones do not give. */
  missing(granted: readonly string[], required: readonly string[]): string[] {
    const have = this.expand(granted);
    return required.filter((s) => !have.has(s));
  }
}
