/**
 * List responses (RFC 7644 §3.4.2): filter, then page with 1-based startIndex and count. The
 * filter is parsed and type-checked before any resource is read, so a bad one costs nothing.
 * Filtering runs over the resources' JSON representation in the server — simple and exact for
 * every attribute, extension ones included, at O(resources) per request. `userName eq` (what
 * identity providers send before every create) is answered from the email index instead.
 */
import type { Context } from 'hono';
import { queryParams } from '../http/params.ts';
import { invalidValue } from './errors.ts';
import type { Filter } from './filter/ast.ts';
import { checkFilter } from './filter/check.ts';
import { matches } from './filter/evaluate.ts';
import { parseFilter } from './filter/parser.ts';
import { resourceScope } from './filter/resolve.ts';
import { LIST_SCHEMA } from './resource-schemas.ts';
import type { ResourceSchema } from './schema-types.ts';

/** Announced as filter.maxResults in ServiceProviderConfig. */
export const MAX_RESULTS = 200;

export interface ListQuery {
  filter: Filter | null;
  startIndex: number;
  count: number;
  attributes: string[] | null;
  excludedAttributes: string[];
}

function integer(raw: string | undefined, name: string): number | null {
  if (raw === undefined || raw === '') return null;
  if (!/^-?\d{1,15}$/.test(raw)) throw invalidValue(`${name} must be an integer.`);
  return Number(raw);
}

function names(raw: string | undefined): string[] | null {
  if (raw === undefined || raw.trim() === '') return null;
  return raw.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
}

/**
 * The list parameters of the request URL. A repeated parameter is refused (400 invalidSyntax, via
 * the InvalidRequestError of http/params.ts) instead of silently using one of its values; empty
 * values count as absent.
 */
export function listQueryParams(c: Context): Partial<Record<'filter' | 'startIndex' | 'count' | 'attributes' | 'excludedAttributes', string>> {
  const params = queryParams(c);
  const out: Partial<Record<'filter' | 'startIndex' | 'count' | 'attributes' | 'excludedAttributes', string>> = {};
  for (const name of ['filter', 'startIndex', 'count', 'attributes', 'excludedAttributes'] as const) {
    const value = params.get(name);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

export function parseListQuery(query: Partial<Record<string, string>>, schema: ResourceSchema): ListQuery {
  const filter = query.filter !== undefined ? parseFilter(query.filter) : null;
  if (filter) checkFilter(filter, resourceScope(schema));
  // §3.4.2.4: startIndex below 1 is read as 1; a negative count as 0.
  const startIndex = Math.max(integer(query.startIndex, 'startIndex') ?? 1, 1);
  const count = Math.min(Math.max(integer(query.count, 'count') ?? MAX_RESULTS, 0), MAX_RESULTS);
  return { filter, startIndex, count, attributes: names(query.attributes), excludedAttributes: names(query.excludedAttributes) ?? [] };
}

/** RFC 7644 §3.9 attributes/excludedAttributes of a single-resource read (its other list parameters are ignored). */
export function projectionQuery(c: Context): Pick<ListQuery, 'attributes' | 'excludedAttributes'> {
  const { attributes, excludedAttributes } = listQueryParams(c);
  return { attributes: names(attributes), excludedAttributes: names(excludedAttributes) ?? [] };
}

/** The matching resources, paged, as a ListResponse. */
export function listResponse(resources: Record<string, unknown>[], q: ListQuery, schema: ResourceSchema): Record<string, unknown> {
  const scope = resourceScope(schema);
  const matching = q.filter ? resources.filter((r) => matches(q.filter!, r, scope)) : resources;
  const page = matching.slice(q.startIndex - 1, q.startIndex - 1 + q.count).map((r) => project(r, q));
  return { schemas: [LIST_SCHEMA], totalResults: matching.length, startIndex: q.startIndex, itemsPerPage: page.length, Resources: page };
}

/** RFC 7644 §3.9 for top-level attributes; `id` and `schemas` are always returned. */
export function project(resource: Record<string, unknown>, q: Pick<ListQuery, 'attributes' | 'excludedAttributes'>): Record<string, unknown> {
  const always = new Set(['id', 'schemas']);
  const keep = (key: string) => {
    const k = key.toLowerCase();
    if (always.has(k)) return true;
    if (q.attributes) return q.attributes.some((a) => a === k || a.startsWith(`${k}.`) || a.endsWith(`:${k}`) || a.includes(`:${k}.`));
    return !q.excludedAttributes.includes(k);
  };
  return Object.fromEntries(Object.entries(resource).filter(([k]) => keep(k)));
}

/** True when the filter is exactly `userName eq "<string>"`: answered with one index lookup. */
export function userNameEquals(filter: Filter | null): string | null {
  if (filter?.kind !== 'compare' || filter.op !== 'eq' || typeof filter.value !== 'string') return null;
  const p = filter.path;
  if (p.attr.toLowerCase() !== 'username' || p.sub !== null) return null;
  if (p.uri !== null && p.uri.toLowerCase() !== 'urn:ietf:params:scim:schemas:core:2.0:user') return null;
  return filter.value;
}
