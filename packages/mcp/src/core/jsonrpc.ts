/**
 * The JSON-RPC 2.0 messages of a Streamable HTTP POST, read before the MCP transport sees them,
 * so tool calls can be authorized (and challenged with an HTTP status) first.
 */
import { InvalidRequestError } from './errors.ts';

export interface RpcMessage {
  jsonrpc: '2.0';
  id?: string | number | null;
  method?: string;
  params?: Record<string, unknown>;
}

export async function readJsonRpc(req: Request, maxBytes: number): Promise<{ raw: unknown; messages: RpcMessage[] }> {
  const length = Number(req.headers.get('content-length') ?? '0');
  if (length > maxBytes) throw new InvalidRequestError('the request body is too large');
  const text = await req.text();
  if (Buffer.byteLength(text) > maxBytes) throw new InvalidRequestError('the request body is too large');
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
  }
  return { raw, messages: list as RpcMessage[] };
}

export function toolCallOf(m: RpcMessage): { name: string; args: unknown } | undefined {
  if (m.method !== 'tools/call' || !m.params || typeof m.params.name !== 'string') return undefined;
  return { name: m.params.name, args: m.params.arguments ?? {} };
}

/** JSON-RPC error codes Mandate uses for authorization outcomes (implementation-defined range). */
export const RPC_FORBIDDEN = -32003;
export const RPC_UNAUTHORIZED = -32001;

export function rpcError(id: RpcMessage['id'], code: number, message: string, data?: unknown): Record<string, unknown> {
  return { jsonrpc: '2.0', id: id ?? null, error: { code, message, ...(data !== undefined ? { data } : {}) } };
}
