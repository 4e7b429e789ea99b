/**
 * Where an attribute path points in a resource (RFC 7644 §3.10): the schema URN picks the core
 * schema or an extension (extension attributes live under their URN), names match
 * case-insensitively (RFC 7643 §2.1).
 */
import { COMMON_ATTRIBUTES, findAttribute, type AttributeDef, type ResourceSchema } from '../schema-types.ts';
import type { AttrPath } from './ast.ts';

/** The attributes a path is resolved against: a resource's schemas, or a complex attribute's sub-attributes. */
export interface Scope {
  schema: ResourceSchema | null;
  attributes: readonly AttributeDef[];
}

export function resourceScope(schema: ResourceSchema): Scope {
  return { schema, attributes: [...COMMON_ATTRIBUTES, ...schema.core.attributes] };
}

export function elementScope(def: AttributeDef): Scope {
  return { schema: null, attributes: def.subAttributes ?? [] };
}

export interface Resolved {
  /** The URN the attribute lives under in the resource, or null for top-level (core) attributes. */
  extension: string | null;
  def: AttributeDef;
  sub: AttributeDef | null;
}

/** Null when the path names no attribute the scope defines. */
export function resolvePath(scope: Scope, path: AttrPath): Resolved | null {
  let attributes = scope.attributes;
  let extension: string | null = null;
  if (path.uri !== null) {
    if (!scope.schema) return null;
    const uri = path.uri.toLowerCase();
    if (uri === scope.schema.core.id.toLowerCase()) attributes = scope.attributes;
    else {
      const ext = scope.schema.extensions.find((e) => e.id.toLowerCase() === uri);
      if (!ext) return null;
      attributes = ext.attributes;
      extension = ext.id;
    }
  }
  const def = findAttribute(attributes, path.attr);
  if (!def) return null;
  if (path.sub === null) return { extension, def, sub: null };
  const sub = def.type === 'complex' ? findAttribute(def.subAttributes ?? [], path.sub) : undefined;
  return sub ? { extension, def, sub } : null;
}

/** The object the attribute is read from or written to (an extension's object, or the resource). */
export function containerOf(resource: Record<string, unknown>, extension: string | null, create = false): Record<string, unknown> | null {
  if (extension === null) return resource;
  const existing = resource[extension];
  if (isObject(existing)) return existing;
  if (!create) return null;
  const made: Record<string, unknown> = {};
  resource[extension] = made;
  return made;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Values the path selects, flattened over multi-valued attributes. */
export function valuesAt(resource: Record<string, unknown>, r: Resolved): unknown[] {
  const container = containerOf(resource, r.extension);
  const raw = container?.[r.def.name];
  const items = raw === undefined || raw === null ? [] : Array.isArray(raw) ? raw : [raw];
  if (!r.sub) return items;
  const sub = r.sub.name;
  return items.flatMap((item) => {
    if (!isObject(item)) return [];
    const v = item[sub];
    return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
  });
}
