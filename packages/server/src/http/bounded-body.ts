/**
 * The one way request bodies are read as text (OAuth forms and JSON in params.ts, SCIM in
 * scim/body.ts): at most `maxBytes`, counted while reading, so a chunked body (no
 * Content-Length, RFC 9112 §7.1) cannot grow without bound; and strict UTF-8 — a body that is
 * not UTF-8 is refused, not repaired. Each protocol answers with its own error, so the caller
 * names them.
 */
import type { Context } from 'hono';

export interface BodyRefusals {
  tooLarge(): Error;
  notUtf8(): Error;
}

/** Fatal, and stateless between calls (no `stream`), so one serves every request. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

export function decodeUtf8(bytes: Uint8Array, refuse: BodyRefusals): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw refuse.notUtf8();
  }
}

/** Reads the body stream chunk by chunk, stopping (and cancelling the upload) at the first byte over the limit. */
export async function readStreamedText(c: Context, maxBytes: number, refuse: BodyRefusals): Promise<string> {
  const body = c.req.raw.body;
  if (!body) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw refuse.tooLarge();
    }
    chunks.push(value);
  }
  return decodeUtf8(Buffer.concat(chunks), refuse);
}
