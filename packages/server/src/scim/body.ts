/**
 * Reads a SCIM request body: application/scim+json (RFC 7644 §3.1) or application/json, a JSON
 * object, at most MAX_BODY_BYTES — counted while reading, so a chunked body cannot grow unbounded.
 */
import type { Context } from 'hono';
import { readStreamedText, type BodyRefusals } from '../http/bounded-body.ts';
import { invalidSyntax, ScimError } from './errors.ts';
import { isObject } from './filter/resolve.ts';

/** Room for a group PATCH adding thousands of members. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** SCIM documents nest a handful of levels; deeper ones would overflow the stack of recursive walks (PATCH's dedup, storage JSON). */
export const MAX_DEPTH = 32;

export async function readScimBody(c: Context): Promise<Record<string, unknown>> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/scim+json' && type !== 'application/json') throw invalidSyntax('The request body must be application/scim+json.');
  if (Number(c.req.header('content-length') ?? '0') > MAX_BODY_BYTES) throw tooLarge();
  const text = await readStreamedText(c, MAX_BODY_BYTES, refuse);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidSyntax('The request body is not valid JSON.');
  }
  if (!isObject(value)) throw invalidSyntax('The request body must be a JSON object.');
  if (nestingDepth(text) > MAX_DEPTH) throw invalidSyntax(`The request body nests deeper than ${MAX_DEPTH} levels.`);
  return value;
}

/** Bracket depth of valid JSON text (strings skipped): linear, no recursion. */
function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) max = Math.max(max, ++depth);
    else if (ch === 0x7d || ch === 0x5d) depth--;
  }
  return max;
}

function tooLarge(): ScimError {
  return new ScimError(413, null, `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
}

const refuse: BodyRefusals = { tooLarge, notUtf8: () => invalidSyntax('The request body is not valid UTF-8.') };
