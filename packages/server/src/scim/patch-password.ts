/**
 * The password a User PATCH sets (RFC 7644 §3.5.2), so the PATCH can hash it (scrypt, tens of ms)
 * before its transaction. `password` is writeOnly and never returned (RFC 7643 §4.1.1), so no
 * representation holds it and the operations alone decide it: applied (patch-apply.ts, the one
 * reader of PATCH operations) to an empty User, the password they leave is the one they leave on
 * any User. Only a hint: the caller compares it with the password of the patched, validated
 * resource, and when they differ hashes that one outside the transaction and writes again
 * (user-service.ts preparedHash, PrepareAgain).
 */
import { applyPatch } from './patch-apply.ts';
import { ScimError } from './errors.ts';
import type { PatchOperation } from './patch-request.ts';
import type { ResourceSchema } from './schema-types.ts';

/** The last password value the operations leave (null when they remove or never set it). */
export function patchedPassword(operations: PatchOperation[], schema: ResourceSchema): string | null {
  let password: unknown;
  try {
    password = applyPatch({}, operations, schema).password;
  } catch (err) {
    // An operation that needs what an empty User lacks (`emails.type` with no emails): no hint.
    // The PATCH is applied to the locked user all the same, where any refusal is answered.
    if (err instanceof ScimError) return null;
    throw err;
  }
  return typeof password === 'string' ? password : null;
}
