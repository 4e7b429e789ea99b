/**
 * Type-checks a parsed filter against the schema once, before any resource is read (RFC 7644
 * §3.4.2.2): an operator an attribute type does not support, or a value of the wrong type, is an
 * invalidFilter error. Evaluation (evaluate.ts) can then never fail half-way through a list.
 * A path naming no known attribute is not an error: it matches nothing.
 */
import { invalidFilter } from '../errors.ts';
import { findAttribute, type AttributeDef } from '../schema-types.ts';
import type { CompareOp, Filter, Literal } from './ast.ts';
import { elementScope, resolvePath, type Scope } from './resolve.ts';

/** A complex attribute compared without a sub-attribute is compared by its `value`. */
export function comparedAttribute(def: AttributeDef): AttributeDef | null {
  if (def.type !== 'complex') return def;
  return findAttribute(def.subAttributes ?? [], 'value') ?? null;
}

const ORDERING: ReadonlySet<CompareOp> = new Set(['gt', 'ge', 'lt', 'le']);
const SUBSTRING: ReadonlySet<CompareOp> = new Set(['co', 'sw', 'ew']);

export function checkFilter(filter: Filter, scope: Scope): void {
  switch (filter.kind) {
    case 'and':
    case 'or':
      checkFilter(filter.left, scope);
      checkFilter(filter.right, scope);
      return;
    case 'not':
      checkFilter(filter.filter, scope);
      return;
    case 'present':
      return;
    case 'valuePath': {
      const r = resolvePath(scope, filter.path);
      if (!r) return;
      if (r.def.type !== 'complex') throw invalidFilter(`"${r.def.name}" is not a complex attribute; it has no value filter.`);
      checkFilter(filter.filter, elementScope(r.def));
      return;
    }
    case 'compare': {
      const r = resolvePath(scope, filter.path);
      if (!r) return;
      const def = comparedAttribute(r.sub ?? r.def);
      if (!def) throw invalidFilter(`"${r.def.name}" is complex: compare one of its sub-attributes.`);
      checkComparison(def, filter.op, filter.value);
    }
  }
}

function checkComparison(def: AttributeDef, op: CompareOp, value: Literal): void {
  const bad = (why: string) => invalidFilter(`"${def.name}" ${op} ${JSON.stringify(value)}: ${why}.`);
  if (value === null) {
    if (op !== 'eq' && op !== 'ne') throw bad('only eq and ne compare with null');
    return;
  }
  switch (def.type) {
    case 'boolean':
      if (typeof value !== 'boolean') throw bad('a boolean attribute compares with true or false');
      if (op !== 'eq' && op !== 'ne') throw bad('a boolean attribute supports eq and ne only');
      return;
    case 'integer':
    case 'decimal':
      if (typeof value !== 'number') throw bad('a number attribute compares with a number');
      if (SUBSTRING.has(op)) throw bad('substring operators apply to strings');
      return;
    case 'dateTime':
      if (typeof value !== 'string') throw bad('a dateTime attribute compares with a string');
      if (ORDERING.has(op) || op === 'eq' || op === 'ne') {
        if (Number.isNaN(Date.parse(value))) throw bad('not an xsd:dateTime value');
      }
      return;
    default:
      if (typeof value !== 'string') throw bad('a string attribute compares with a string');
  }
}
