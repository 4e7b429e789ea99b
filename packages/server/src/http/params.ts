/**
 * Request parameters for OAuth endpoints. RFC 6749 §3.1 / §3.2: parameters sent without a value
 * are treated as omitted, and a parameter must not appear more than once — except those defined
 * as repeatable (`resource` in RFC 8707 §2, `audience` in RFC 8693 §2.1).
 */
import type { Context } from 'hono';
import { InvalidRequestError } from '@mandate/protocol';
import { decodeUtf8, readStreamedText, type BodyRefusals } from './bounded-body.ts';
import { requestHeader } from './request-header.ts';

const REPEATABLE = new Set(['resource', 'audience']);
export const MAX_FORM_BYTES = 64 * 1024;

export class Params {
  private readonly values: Map<string, string[]>;

  constructor(entries: Iterable<[string, string]>) {
    this.values = new Map();
    for (const [key, value] of entries) {
      if (value === '') continue;
      const list = this.values.get(key);
      if (list) list.push(value);
      else this.values.set(key, [value]);
    }
    for (const [key, list] of this.values) {
      if (list.length > 1 && !REPEATABLE.has(key)) throw new InvalidRequestError(`The '${key}' parameter must not be repeated.`);
    }
  }

  get(name: string): string | undefined {
    return this.values.get(name)?.[0];
  }

  /** Like get, but throws invalid_request when absent. */
  require(name: string): string {
    const value = this.get(name);
    if (value === undefined) throw new InvalidRequestError(`The '${name}' parameter is required.`);
    return value;
  }

  getAll(name: string): string[] {
    return [...(this.values.get(name) ?? [])];
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  toObject(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of this.values) out[k] = REPEATABLE.has(k) ? [...v] : (v[0] as string);
    return out;
  }
}

/** Reads an application/x-www-form-urlencoded body (RFC 6749 §4.1.3 and friends) with a size limit. */
export async function readForm(c: Context, maxBytes = MAX_FORM_BYTES): Promise<Params> {
  const type = mediaType(c);
  if (type !== 'application/x-www-form-urlencoded') {
    throw new InvalidRequestError('The request body must be application/x-www-form-urlencoded.');
  }
  const text = await readBodyText(c, maxBytes);
  return new Params(new URLSearchParams(text));
}

/** Reads a JSON object body (RFC 7591 registration, admin API) with a size limit. */
export async function readJsonObject(c: Context, maxBytes = MAX_FORM_BYTES): Promise<Record<string, unknown>> {
  const type = mediaType(c);
  if (type !== 'application/json') throw new InvalidRequestError('The request body must be application/json.');
  const text = await readBodyText(c, maxBytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidRequestError('The request body is not valid JSON.');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidRequestError('The request body must be a JSON object.');
  return value as Record<string, unknown>;
}

/** Query parameters of a GET (authorization endpoint), with the same duplicate rule. */
export function queryParams(c: Context): Params {
  return new Params(new URL(c.req.url).searchParams);
}

/** The Content-Type's media type, lowercased, without parameters (RFC 9110 §8.3.1). */
function mediaType(c: Context): string | undefined {
  return (requestHeader(c, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase();
}

async function readBodyText(c: Context, maxBytes: number): Promise<string> {
  const refuse: BodyRefusals = {
    tooLarge: () => new InvalidRequestError(`The request body is larger than ${maxBytes} bytes.`),
    notUtf8: () => new InvalidRequestError('The request body is not valid UTF-8.'),
  };
  const length = requestHeader(c, 'content-length');
  const declared = Number(length ?? '0');
  if (declared > maxBytes) throw refuse.tooLarge();
  if (length !== undefined && requestHeader(c, 'transfer-encoding') === undefined) {
    // HTTP/1.1 framing (RFC 9112 §6.3): with a Content-Length the body is exactly that long, so
    // the size check above suffices and the adapter's fast path reads it without a web stream.
    return decodeUtf8(Buffer.from(await c.req.raw.arrayBuffer()), refuse);
  }
  return readStreamedText(c, maxBytes, refuse);
}
