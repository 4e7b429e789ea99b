/**
 * Reads a PATCH request body (RFC 7644 §3.5.2): the PatchOp schema and 1..MAX operations, each
 * with an `op` (case-insensitive: Azure AD sends "Replace"), an optional `path` and a `value`.
 */
import { invalidSyntax } from './errors.ts';
import type { PatchPath } from './filter/ast.ts';
import { parsePatchPath } from './filter/parser.ts';
import { isObject } from './filter/resolve.ts';
import { PATCH_SCHEMA } from './resource-schemas.ts';

export interface PatchOperation {
  op: 'add' | 'remove' | 'replace';
  path: PatchPath | null;
  value: unknown;
}

export const MAX_OPERATIONS = 1000;

export function parsePatchRequest(body: Record<string, unknown>): PatchOperation[] {
  const schemas = body.schemas;
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === PATCH_SCHEMA.toLowerCase())) {
    throw invalidSyntax(`A PATCH body must list the schema ${PATCH_SCHEMA}.`);
  }
  const operations = body.Operations ?? body.operations;
  if (!Array.isArray(operations) || operations.length === 0 || operations.length > MAX_OPERATIONS) {
    throw invalidSyntax(`Operations must be an array of 1 to ${MAX_OPERATIONS} operations.`);
  }
  return operations.map((raw, i) => {
    if (!isObject(raw)) throw invalidSyntax(`Operations[${i}] must be an object.`);
    const op = typeof raw.op === 'string' ? raw.op.toLowerCase() : null;
    if (op !== 'add' && op !== 'remove' && op !== 'replace') throw invalidSyntax(`Operations[${i}].op must be add, remove or replace.`);
    if (raw.path !== undefined && typeof raw.path !== 'string') throw invalidSyntax(`Operations[${i}].path must be a string.`);
    if (op !== 'remove' && raw.value === undefined) throw invalidSyntax(`Operations[${i}] (${op}) needs a value.`);
    return { op, path: typeof raw.path === 'string' ? parsePatchPath(raw.path) : null, value: raw.value };
  });
}
