/**
 * The client side of the stdio handshake: spawns the MCP server (through the SDK's
 * StdioClientTransport) and writes the token handshake before any MCP message. The token goes
 * through the pipe only, never the child's environment or arguments (BR-3).
 */
import { StdioClientTransport, getDefaultEnvironment, type StdioServerParameters } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { handshakeMessage } from './handshake.ts';

export interface LaunchOptions extends StdioServerParameters {
  /** The access token, or a function obtaining one (called at start). */
  token: string | (() => Promise<string>);
}

export class MandateStdioClientTransport extends StdioClientTransport {
  private readonly token: LaunchOptions['token'];

  constructor(options: LaunchOptions) {
    const { token, ...params } = options;
    const env = params.env ?? getDefaultEnvironment();
    // Defence in depth: a token must not ride along in the environment.
    const secretValue = typeof token === 'string' ? token : undefined;
    const cleanEnv = Object.fromEntries(Object.entries(env).filter(([, v]) => secretValue === undefined || v !== secretValue));
    super({ ...params, env: cleanEnv });
    this.token = token;
  }

  override async start(): Promise<void> {
    const token = typeof this.token === 'string' ? this.token : await this.token();
    await super.start();
    // The first line the server reads.
    await this.send(handshakeMessage(token) as unknown as JSONRPCMessage);
  }
}

/** Spawn a stdio MCP server and hand it `token` first; connect an SDK Client to the result. */
export function launchStdioServer(options: LaunchOptions): MandateStdioClientTransport {
  return new MandateStdioClientTransport(options);
}
