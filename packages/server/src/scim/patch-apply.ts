/**
 * Applies PATCH operations (RFC 7644 §3.5.2) to a resource's JSON representation. The caller then
 * validates the result exactly as it validates a PUT, so PATCH can never store what PUT would
 * refuse. Mutability comes from the schema table: readOnly targets are a 400 mutability error.
 */
import { invalidPath, invalidSyntax, invalidValue, mutability, noTarget } from './errors.ts';
import type { AttrPath, Filter, PatchPath } from './filter/ast.ts';
import { checkFilter } from './filter/check.ts';
import { matches } from './filter/evaluate.ts';
import { toAttrPath } from './filter/parser.ts';
import { containerOf, elementScope, isObject, resolvePath, resourceScope, type Resolved } from './filter/resolve.ts';
import type { PatchOperation } from './patch-request.ts';
import { findAttribute, type AttributeDef, type ResourceSchema } from './schema-types.ts';

type Doc = Record<string, unknown>;
type Op = PatchOperation['op'];

export function applyPatch(resource: Doc, operations: PatchOperation[], schema: ResourceSchema): Doc {
  const doc = structuredClone(resource);
  for (const operation of operations) {
    if (operation.path) apply(doc, schema, operation.op, operation.path, operation.value);
    else applyWithoutPath(doc, schema, operation.op, operation.value);
  }
  return doc;
}

/** §3.5.2.1/3: without a path the value is a set of attributes; remove needs a path (noTarget). */
function applyWithoutPath(doc: Doc, schema: ResourceSchema, op: Op, value: unknown): void {
  if (op === 'remove') throw noTarget('A remove operation needs a path.');
  if (!isObject(value)) throw invalidValue(`An ${op} without a path takes an object of attributes.`);
  for (const [key, v] of Object.entries(value)) {
    const extension = schema.extensions.find((e) => e.id.toLowerCase() === key.toLowerCase());
    if (extension && isObject(v)) {
      for (const [k, inner] of Object.entries(v)) apply(doc, schema, op, { path: { ...toAttrPath(k), uri: extension.id }, filter: null, sub: null }, inner);
    } else {
      if (key.toLowerCase() === 'schemas') continue; // clients echo it; it is not an attribute change
      apply(doc, schema, op, { path: toAttrPath(key), filter: null, sub: null }, v);
    }
  }
}

function describe(p: AttrPath): string {
  return `${p.uri ? `${p.uri}:` : ''}${p.attr}${p.sub ? `.${p.sub}` : ''}`;
}

function apply(doc: Doc, schema: ResourceSchema, op: Op, target: PatchPath, value: unknown): void {
  const r = resolvePath(resourceScope(schema), target.path);
  if (!r) throw invalidPath(`No attribute "${describe(target.path)}".`);
  const sub = target.sub !== null ? findAttribute(r.def.subAttributes ?? [], target.sub) : (r.sub ?? undefined);
  if (target.sub !== null && !sub) throw invalidPath(`"${r.def.name}" has no sub-attribute "${target.sub}".`);
  if (r.def.mutability === 'readOnly' || sub?.mutability === 'readOnly') throw mutability(`"${describe(target.path)}" is read-only.`);
  // §3.5.2.3: replacing with null, like adding nothing, clears the attribute.
  const effective: Op = value === null && op !== 'remove' ? 'remove' : op;
  const container = containerOf(doc, r.extension, effective !== 'remove');
  if (!container) return; // removing from an extension the resource does not have
  if (target.filter) return applyFiltered(container, r.def, sub ?? null, target.filter, effective, value);
  if (sub) return applySub(container, r, sub, effective, value);
  applyWhole(container, r.def, effective, value);
}

function applyWhole(container: Doc, def: AttributeDef, op: Op, value: unknown): void {
  if (op === 'remove') {
    delete container[def.name];
    return;
  }
  if (def.multiValued) {
    const given = Array.isArray(value) ? value : [value];
    const incoming = def.type === 'complex' ? given.map((v) => (isObject(v) ? canonicalKeys(v, def) : v)) : given;
    if (op === 'replace') container[def.name] = incoming;
    else {
      const current = Array.isArray(container[def.name]) ? (container[def.name] as unknown[]) : [];
      const seen = new Set(current.map((v) => JSON.stringify(v)));
      container[def.name] = [...current, ...incoming.filter((v) => !seen.has(JSON.stringify(v)))];
    }
    return;
  }
  if (def.type === 'complex') {
    // §3.5.2.1/3: sub-attributes given replace theirs; the others stay.
    if (!isObject(value)) throw invalidValue(`"${def.name}" takes an object.`);
    const current = isObject(container[def.name]) ? (container[def.name] as Doc) : {};
    container[def.name] = { ...current, ...canonicalKeys(value, def) };
    return;
  }
  container[def.name] = value;
}

/** `name.givenName` (single complex) or `emails.type` (every element of a multi-valued one). */
function applySub(container: Doc, r: Resolved, sub: AttributeDef, op: Op, value: unknown): void {
  const current = container[r.def.name];
  if (r.def.multiValued) {
    const elements = Array.isArray(current) ? current.filter(isObject) : [];
    if (elements.length === 0 && op !== 'remove') throw noTarget(`"${r.def.name}" has no values to set ${sub.name} on.`);
    for (const el of elements) setOrDelete(el, sub.name, op, value);
    return;
  }
  if (!isObject(current)) {
    if (op === 'remove') return;
    container[r.def.name] = {};
  }
  setOrDelete(container[r.def.name] as Doc, sub.name, op, value);
}

/** `emails[type eq "work"]` and `emails[type eq "work"].value`. */
function applyFiltered(container: Doc, def: AttributeDef, sub: AttributeDef | null, filter: Filter, op: Op, value: unknown): void {
  if (!def.multiValued || def.type !== 'complex') throw invalidPath(`A value filter needs a multi-valued complex attribute; "${def.name}" is not.`);
  const scope = elementScope(def);
  checkFilter(filter, scope);
  const elements = Array.isArray(container[def.name]) ? (container[def.name] as unknown[]) : [];
  const hit = (el: unknown) => isObject(el) && matches(filter, el, scope);
  if (op === 'remove') {
    container[def.name] = sub ? elements.map((el) => (hit(el) ? withoutKey(el as Doc, sub.name) : el)) : elements.filter((el) => !hit(el));
    return;
  }
  const matched = elements.filter(hit) as Doc[];
  if (matched.length === 0) {
    // Azure AD adds `emails[type eq "work"].value` for a user with no work email: create it.
    const seed = sub ? equalities(filter) : null;
    if (!seed) throw noTarget(`No value of "${def.name}" matches the filter.`);
    const canonical = canonicalKeys(seed, def);
    container[def.name] = [...elements, { ...canonical, [sub!.name]: value }];
    return;
  }
  // defineProperty, not assignment: a `__proto__` key in client JSON stays a plain key.
  for (const el of matched) {
    if (sub) el[sub.name] = value;
    else if (isObject(value)) for (const [k, v] of Object.entries(canonicalKeys(value, def))) Object.defineProperty(el, k, { value: v, enumerable: true, writable: true, configurable: true });
    else throw invalidValue(`Replacing values of "${def.name}" takes an object.`);
  }
}

/**
 * The client's sub-attribute keys under the schema's spelling (RFC 7643 §2.1: names are
 * case-insensitive), so merging `{ GivenName }` into `{ givenName }` replaces it instead of leaving
 * the attribute twice. Unknown keys are kept as given; two spellings of one name in the value
 * itself are ambiguous and refused, as attribute.ts refuses them in a PUT.
 */
function canonicalKeys(value: Doc, def: AttributeDef): Doc {
  const out: Doc = {};
  for (const [k, v] of Object.entries(value)) {
    const name = findAttribute(def.subAttributes ?? [], k)?.name ?? k;
    if (Object.hasOwn(out, name)) throw invalidSyntax(`The attribute ${def.name}.${name} appears more than once; attribute names are case-insensitive.`);
    // defineProperty, not assignment: a `__proto__` key in client JSON stays a plain key.
    Object.defineProperty(out, name, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** The attributes an `a eq "x" and b eq "y"` filter pins, or null for any other filter. */
function equalities(filter: Filter): Doc | null {
  if (filter.kind === 'compare' && filter.op === 'eq' && filter.path.sub === null && filter.path.uri === null && filter.value !== null) return { [filter.path.attr]: filter.value };
  if (filter.kind !== 'and') return null;
  const left = equalities(filter.left);
  const right = equalities(filter.right);
  return left && right ? { ...left, ...right } : null;
}

function setOrDelete(obj: Doc, key: string, op: Op, value: unknown): void {
  if (op === 'remove') delete obj[key];
  else obj[key] = value;
}

function withoutKey(obj: Doc, key: string): Doc {
  const copy = { ...obj };
  delete copy[key];
  return copy;
}
