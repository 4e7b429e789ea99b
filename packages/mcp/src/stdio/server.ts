/**
 * Serving MCP over stdio behind the token handshake: read the first line of stdin, verify the
 * token (JWKS, iss, aud, exp, revocation) BEFORE serving anything, then hand the rest of the
 * stream to the MCP SDK's StdioServerTransport. A bad token ends the process with a message on
 * stderr and nothing on stdout.
 */
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { MandateMcp } from '../core/create.ts';
import type { AuthContext } from '../core/types.ts';
import { HandshakeError, parseHandshake } from './handshake.ts';

export interface StdioOptions {
  stdin?: Readable;
  stdout?: Writable;
  /** Largest handshake line, bytes (default 64 KiB). */
  maxHandshakeBytes?: number;
  /** How long to wait for the handshake, ms (default 10 s). */
  handshakeTimeoutMs?: number;
}

/** Reads up to the first newline; the bytes after it are returned to be replayed to MCP. */
export function readFirstLine(input: Readable, maxBytes: number, timeoutMs: number): Promise<{ line: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const done = (err: Error | undefined, value?: { line: string; rest: Buffer }) => {
      clearTimeout(timer);
      input.off('data', onData);
      input.off('end', onEnd);
      input.pause();
      if (err) reject(err);
      else resolve(value!);
    };
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const nl = buffered.indexOf(0x0a);
      if (nl !== -1) return done(undefined, { line: buffered.subarray(0, nl).toString('utf8').replace(/\r$/, ''), rest: buffered.subarray(nl + 1) });
      if (buffered.length > maxBytes) done(new HandshakeError('the handshake message is too large'));
    };
    const onEnd = () => done(new HandshakeError('stdin closed before the token handshake'));
    const timer = setTimeout(() => done(new HandshakeError('no token handshake received in time')), timeoutMs);
    input.on('data', onData);
    input.on('end', onEnd);
  });
}

export interface StdioSession {
  auth: AuthContext;
  server: McpServer;
  transport: StdioServerTransport;
}

/** Handshake, verification, then MCP. Rejects (serving nothing) when the token is refused. */
export async function serveStdio(mcp: MandateMcp, options: StdioOptions = {}): Promise<StdioSession> {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const { line, rest } = await readFirstLine(stdin, options.maxHandshakeBytes ?? 64 * 1024, options.handshakeTimeoutMs ?? 10_000);
  const token = parseHandshake(line);
  const auth = await mcp.verifyToken(token);
  const replay = new PassThrough();
  if (rest.length > 0) replay.write(rest);
  stdin.pipe(replay);
  stdin.resume();
  const server = await mcp.serverFor(auth);
  const transport = new StdioServerTransport(replay, stdout);
  await server.connect(transport);
  return { auth, server, transport };
}

/** For a server's main(): serve, or explain on stderr and exit non-zero. */
export async function runStdioServer(mcp: MandateMcp, options: StdioOptions = {}): Promise<StdioSession | undefined> {
  try {
    return await serveStdio(mcp, options);
  } catch (err) {
    process.stderr.write(`mandate: token handshake refused: ${(err as Error).message}\n`);
    process.exitCode = 77;
    // Nothing was served; stop reading so the process can end.
    (options.stdin ?? process.stdin).destroy();
    return undefined;
  }
}
