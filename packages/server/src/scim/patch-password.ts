/**
 * The password a User PATCH sets, read from its operations alone (RFC 7644 §3.5.2), so the PATCH
 * can hash it (scrypt, tens of ms) before it locks the user row. `password` is writeOnly and never
 * returned (RFC 7643 §4.1.1), so no representation holds it: the operations alone decide it.
 * Only a hint: the caller compares it with the password of the patched, validated resource and
 * hashes that one under the lock if they differ (a spelling this reader does not follow).
 */
import type { AttrPath } from './filter/ast.ts';
import { toAttrPath } from './filter/parser.ts';
import { isObject, resolvePath, resourceScope } from './filter/resolve.ts';
import type { PatchOperation } from './patch-request.ts';
import type { ResourceSchema } from './schema-types.ts';

function isPassword(schema: ResourceSchema, path: AttrPath): boolean {
  const r = resolvePath(resourceScope(schema), path);
  return r !== null && r.extension === null && r.sub === null && r.def.name === 'password';
}

/** The last password value the operations leave (null when they remove or never set it). */
export function patchedPassword(operations: PatchOperation[], schema: ResourceSchema): string | null {
  let password: unknown = null;
  const set = (op: PatchOperation['op'], value: unknown) => {
    password = op === 'remove' ? null : value;
  };
  for (const { op, path, value } of operations) {
    if (path) {
      if (path.filter === null && isPassword(schema, path.path)) set(op, value);
    } else if (op !== 'remove' && isObject(value)) {
      for (const [key, v] of Object.entries(value)) if (isPassword(schema, toAttrPath(key))) set(op, v);
    }
  }
  return typeof password === 'string' ? password : null;
}
