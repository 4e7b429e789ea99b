/**
 * Evaluates a checked filter (check.ts) against a resource's JSON representation. Multi-valued
 * attributes match when any value does (RFC 7644 §3.4.2.2); strings compare case-insensitively
 * unless the attribute is caseExact (RFC 7643 §2.2) — so `userName eq "Alice@Example.com"` finds
 * alice@example.com (§4.1.1: userName is caseExact false).
 */
import type { AttributeDef } from '../schema-types.ts';
import type { CompareOp, Filter, Literal } from './ast.ts';
import { comparedAttribute } from './check.ts';
import { elementScope, isObject, resolvePath, valuesAt, type Scope } from './resolve.ts';

export function matches(filter: Filter, resource: Record<string, unknown>, scope: Scope): boolean {
  switch (filter.kind) {
    case 'and':
      return matches(filter.left, resource, scope) && matches(filter.right, resource, scope);
    case 'or':
      return matches(filter.left, resource, scope) || matches(filter.right, resource, scope);
    case 'not':
      return !matches(filter.filter, resource, scope);
    case 'present': {
      const r = resolvePath(scope, filter.path);
      return r ? valuesAt(resource, r).some(present) : false;
    }
    case 'valuePath': {
      const r = resolvePath(scope, filter.path);
      if (!r) return false;
      const inner = elementScope(r.def);
      return valuesAt(resource, r).some((element) => isObject(element) && matches(filter.filter, element, inner));
    }
    case 'compare': {
      const r = resolvePath(scope, filter.path);
      const def = r ? comparedAttribute(r.sub ?? r.def) : null;
      if (!r || !def) return filter.op === 'ne';
      let values = valuesAt(resource, r);
      if (!r.sub && r.def.type === 'complex') values = values.flatMap((v) => (isObject(v) && v.value !== undefined && v.value !== null ? [v.value] : []));
      const eq = values.some((v) => compare(def, 'eq', v, filter.value));
      if (filter.op === 'eq') return filter.value === null ? values.length === 0 : eq;
      if (filter.op === 'ne') return filter.value === null ? values.length > 0 : !eq;
      return values.some((v) => compare(def, filter.op, v, filter.value));
    }
  }
}

/** RFC 7644 §3.4.2.2 `pr`: has a non-empty value. */
export function present(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (isObject(value)) return Object.keys(value).length > 0;
  return true;
}

function compare(def: AttributeDef, op: CompareOp, actual: unknown, literal: Literal): boolean {
  if (literal === null) return false;
  if (typeof literal === 'boolean' || typeof actual === 'boolean') return op === 'eq' && actual === literal;
  if (typeof literal === 'number') return typeof actual === 'number' && ordered(op, actual - literal);
  if (typeof actual !== 'string') return false;
  if (def.type === 'dateTime' && !['co', 'sw', 'ew'].includes(op)) {
    const a = Date.parse(actual);
    return !Number.isNaN(a) && ordered(op, a - Date.parse(literal));
  }
  const a = def.caseExact ? actual : actual.toLowerCase();
  const b = def.caseExact ? literal : literal.toLowerCase();
  switch (op) {
    case 'co':
      return a.includes(b);
    case 'sw':
      return a.startsWith(b);
    case 'ew':
      return a.endsWith(b);
    default:
      return ordered(op, a < b ? -1 : a > b ? 1 : 0);
  }
}

function ordered(op: CompareOp, diff: number): boolean {
  switch (op) {
    case 'eq':
      return diff === 0;
    case 'gt':
      return diff > 0;
    case 'ge':
      return diff >= 0;
    case 'lt':
      return diff < 0;
    case 'le':
      return diff <= 0;
    default:
      return false;
  }
}
