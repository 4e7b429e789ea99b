import type { Context } from 'hono';
import { nodeBindings } from './node-bindings.ts';

/**
 * One request header, as `Headers.get` would give it (several fields of that name joined with
 * ", "), or undefined when absent.
 *
 * Behind the Node server the adapter builds a WHATWG `Headers` the first time anyone asks for
 * `request.headers`, validating and copying every field; the token endpoint needs three or four
 * names, so it reads them from the raw fields Node already parsed. Node's own `headers` object is
 * not used: it silently drops repeated Authorization and Content-Type fields, and a repeated
 * field must stay visible (a doubled Basic header must fail, not pick one).
 */
export function requestHeader(c: Context, name: Lowercase<string>): string | undefined {
  const raw = nodeBindings(c)?.incoming?.rawHeaders;
  if (raw === undefined) return c.req.raw.headers.get(name) ?? undefined;
  let value: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const field = raw[i] as string;
    if (field.length !== name.length || field.toLowerCase() !== name) continue;
    value = value === undefined ? (raw[i + 1] as string) : `${value}, ${raw[i + 1] as string}`;
  }
  return value;
}
