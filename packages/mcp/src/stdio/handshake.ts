/**
 * The stdio token handshake (BR-3, seed 000 pattern 2). A local MCP server never takes its
 * token from the environment (other processes of the user can read it there, and children
 * inherit it): the launcher writes it as the FIRST line on the server's stdin, as a JSON-RPC
 * notification, before any MCP message.
 */

export const HANDSHAKE_METHOD = 'notifications/mandate/access_token';

export interface HandshakeMessage {
  jsonrpc: '2.0';
  method: typeof HANDSHAKE_METHOD;
  params: { access_token: string };
}

export function handshakeMessage(token: string): HandshakeMessage {
  return { jsonrpc: '2.0', method: HANDSHAKE_METHOD, params: { access_token: token } };
}

export class HandshakeError extends Error {}

/** The token from the first line, or a HandshakeError saying what was wrong. */
export function parseHandshake(line: string): string {
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch {
    throw new HandshakeError('the first stdin message must be the Mandate token handshake (JSON)');
  }
  const m = msg as Partial<HandshakeMessage> | null;
  if (m === null || typeof m !== 'object' || m.jsonrpc !== '2.0' || m.method !== HANDSHAKE_METHOD) {
    throw new HandshakeError(`the first stdin message must be the ${HANDSHAKE_METHOD} notification`);
  }
  const token = m.params?.access_token;
  if (typeof token !== 'string' || token === '') throw new HandshakeError('the handshake carries no access_token');
  return token;
}
