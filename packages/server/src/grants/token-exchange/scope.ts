/**
 * Granted scope = requested ∩ the subject token's scope ∩ the agent's allowed scopes ∩ the client's
 * policy for the target (DL-1, DL-4). An exchange only ever narrows: a scope missing from any one
 * bound is dropped, with the reason kept for the audit (AU-2); nothing left → invalid_scope.
 * RFC 8693 §2.1 makes `scope` optional: omitted, the request is "everything the bounds allow".
 * `offline_access` is never granted: offline.ts states that rule and what asking for it does.
 */
import { formatScope, InvalidScopeError } from '@mandate/protocol';
import { parseRequestedScope } from '../../checks/scope.ts';
import { withoutOfflineAccess } from './offline.ts';

/** One limit on the scope; `scopes` null means this party sets no limit (e.g. no actor). */
export interface ScopeBound {
  /** Who sets the limit, for the audit: `subject_token`, `agent`, `client`, … */
  name: string;
  scopes: ReadonlySet<string> | null;
}

export interface ScopeDecision {
  granted: Set<string>;
  /** Why each requested (or implied) scope was left out: `mcp:write: not in agent`. */
  narrowed: string[];
}

/** Pure: the intersection and the reasons. Throws nothing. */
export function intersectBounds(requested: ReadonlySet<string> | null, bounds: readonly ScopeBound[]): ScopeDecision {
  const limited = bounds.filter((b): b is ScopeBound & { scopes: ReadonlySet<string> } => b.scopes !== null);
  // With no request, the candidates are the narrowest bound's scopes; with no bound at all, none.
  const candidates = requested ?? smallest(limited);
  const granted = new Set<string>();
  const narrowed: string[] = [];
  for (const scope of candidates) {
    const refusedBy = limited.filter((b) => !b.scopes.has(scope)).map((b) => b.name);
    if (refusedBy.length === 0) granted.add(scope);
    else if (requested !== null) narrowed.push(`${scope}: not allowed by ${refusedBy.join(', ')}`);
  }
  return { granted, narrowed };
}

function smallest(bounds: readonly { scopes: ReadonlySet<string> }[]): ReadonlySet<string> {
  let best: ReadonlySet<string> = new Set();
  let size = Infinity;
  for (const b of bounds) {
    if (b.scopes.size < size) {
      best = b.scopes;
      size = b.scopes.size;
    }
  }
  return best;
}

/** The token endpoint check: parse, intersect, refuse an empty result. */
export function exchangeScope(requestedScope: string | null, bounds: readonly ScopeBound[]): ScopeDecision & { scope: string } {
  const asked = requestedScope === null ? null : parseRequestedScope(requestedScope);
  const requested = asked === null || asked.size === 0 ? null : asked;
  const decision = withoutOfflineAccess(intersectBounds(requested, bounds), requested); // offline.ts: asks for a refresh token, never a scope
  if (decision.granted.size === 0) {
    const why = decision.narrowed.length > 0 ? ` (${decision.narrowed.join('; ')})` : '';
    throw new InvalidScopeError(`No scope is left after intersecting the request with the subject token, the agent and the client policy${why}.`);
  }
  return { ...decision, scope: formatScope(decision.granted) };
}
