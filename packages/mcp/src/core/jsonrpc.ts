/**
 * The JSON-RPC 2.0 messages of a Streamable HTTP POST, read before the MCP transport sees them,
 * so tool calls can be authorized (and challenged with an HTTP status) first.
 */
import { InvalidRequestError, PayloadTooLargeError } from './errors.ts';

export interface RpcMessage {
  jsonrpc: '2.0';
  id?: string | number | null;
  method?: string;
  params?: Record<string, unknown>;
}

/** A declared Content-Length past the cap is refused before anything else is done for the request. */
export function refuseDeclaredOversize(req: Request, maxBytes: number): void {
  if (Number(req.headers.get('content-length') ?? '0') > maxBytes) throw new PayloadTooLargeError('the request body is too large');
}

/**
 * The body as text, read chunk by chunk and abandoned as soon as it grows past `maxBytes`: every
 * runtime calling `mcp.fetch` (Node adapters, Hono, Bun, Deno, Workers) gets the cap, and no body
 * is buffered whole before its size is known. Decoded as `Request.text()` does (UTF-8, invalid
 * bytes replaced, a BOM dropped), so what JSON.parse sees is unchanged.
 */
async function readCappedText(req: Request, maxBytes: number): Promise<string> {
  // The declared length was refused before authentication (handler.ts refuseDeclaredOversize).
  if (!req.body) return '';
  const reader = req.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new PayloadTooLargeError('the request body is too large');
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

export async function readJsonRpc(req: Request, maxBytes: number): Promise<{ raw: unknown; messages: RpcMessage[] }> {
  const text = await readCappedText(req, maxBytes);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new InvalidRequestError('the request body is not JSON');
  }
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) throw new InvalidRequestError('the JSON-RPC batch is empty');
  for (const m of list) {
    if (m === null || typeof m !== 'object' || (m as RpcMessage).jsonrpc !== '2.0') throw new InvalidRequestError('the body is not a JSON-RPC 2.0 message');
    // JSON-RPC 2.0 §4: an id is a string, a number or null. Refused here, before any tool is authorized or audited for it.
    const id: unknown = (m as RpcMessage).id;
    if (id !== undefined && id !== null && typeof id !== 'string' && typeof id !== 'number') throw new InvalidRequestError('a JSON-RPC id must be a string, a number or null');
  }
  refuseRepeatedIds(list as RpcMessage[]);
  return { raw, messages: list as RpcMessage[] };
}

/**
 * Decisions and resolved resources are handed to the handlers by request id: two requests of one
 * batch sharing an id could get each other's (JSON-RPC 2.0 §4 requires unique ids anyway). 1 and
 * "1" count as the same id here: refusing more than needed costs an honest client nothing.
 */
function refuseRepeatedIds(messages: RpcMessage[]): void {
  const seen = new Set<string>();
  for (const m of messages) {
    if (m.method === undefined || m.id === undefined || m.id === null) continue;
    const key = String(m.id);
    if (seen.has(key)) throw new InvalidRequestError('the JSON-RPC batch repeats a request id');
    seen.add(key);
  }
}

/** A tools/call's tool name and its arguments as sent (not yet parsed by the tool's schema). */
export interface ToolCall {
  name: string;
  args: unknown;
}

export function toolCallOf(m: RpcMessage): ToolCall | undefined {
  if (m.method !== 'tools/call' || !m.params || typeof m.params.name !== 'string') return undefined;
  return { name: m.params.name, args: m.params.arguments ?? {} };
}

/** JSON-RPC error codes Mandate uses for authorization outcomes (implementation-defined range). */
export const RPC_FORBIDDEN = -32003;
export const RPC_UNAUTHORIZED = -32001;

export function rpcError(id: RpcMessage['id'], code: number, message: string, data?: unknown): Record<string, unknown> {
  return { jsonrpc: '2.0', id: id ?? null, error: { code, message, ...(data !== undefined ? { data } : {}) } };
}
