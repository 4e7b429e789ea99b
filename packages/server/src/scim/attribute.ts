/**
 * Attribute lookup in a SCIM document. Attribute names are case-insensitive (RFC 7643 §2.1), so
 * `userName` and `UserName` name the same attribute; a document holding both is ambiguous and is
 * refused rather than letting whichever key comes first win.
 */
import { invalidSyntax } from './errors.ts';

/** The value of attribute `name` in `doc` (any letter case); undefined when absent. */
export function attribute(doc: Record<string, unknown>, name: string): unknown {
  const lower = name.toLowerCase();
  const keys = Object.keys(doc).filter((k) => k.toLowerCase() === lower);
  if (keys.length > 1) throw invalidSyntax(`The attribute ${name} appears more than once (as ${keys.join(', ')}); attribute names are case-insensitive.`);
  const key = keys[0];
  return key === undefined ? undefined : doc[key];
}
