/**
 * What an MCP host does on first contact with a protected MCP server, with the SDK doing every
 * protocol step: connect, get 401, discover (RFC 9728 then RFC 8414), register (CIMD or DCR),
 * send the user to /authorize — here the headless driver plays the user — then
 * `transport.finishAuth(code)` exchanges the code, and a new connection carries the token.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { authorizeHeadlessly, responseParams, type ConsentPageSeen, type LoginCredentials } from '../browserless-login.ts';
import type { InMemoryOAuthProvider } from './oauth-provider.ts';

export interface AuthorizedMcpSession {
  client: Client;
  consent: ConsentPageSeen | null;
  /** The authorization response as the redirect URI received it. */
  callback: URL;
  close(): Promise<void>;
}

function newClient(): Client {
  return new Client({ name: 'mandate-interop-host', version: '1.0.0' });
}

export async function connectWithOAuth(mcpUrl: URL, provider: InMemoryOAuthProvider, user: LoginCredentials, issuer: string): Promise<AuthorizedMcpSession> {
  const first = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider });
  const refused = await newClient()
    .connect(first)
    .then(
      () => null,
      (err: unknown) => err,
    );
  if (!(refused instanceof UnauthorizedError)) throw new Error(`Expected the SDK to stop for user authorization, got: ${String(refused)}`);
  if (!provider.authorizationUrl) throw new Error('The SDK did not ask to open an authorization URL.');

  const { callback, consent } = await authorizeHeadlessly(provider.authorizationUrl, user);
  const params = responseParams(callback);
  // What the host must check before using the code (C-6, RFC 9207 §2.4; RFC 6749 §10.12).
  if (`${callback.origin}${callback.pathname}` !== provider.redirectUrl) throw new Error(`Redirected to ${callback.href}, not to ${provider.redirectUrl}`);
  if (params.error) throw new Error(`Authorization failed: ${params.error} ${callback.searchParams.get('error_description') ?? ''}`);
  if (params.iss !== issuer) throw new Error(`iss ${params.iss} is not the issuer ${issuer}`);
  if (params.state !== provider.lastState) throw new Error('state does not match');
  if (!params.code) throw new Error('no code in the authorization response');

  await first.finishAuth(params.code);
  await first.close();
  const client = await connectAuthorized(mcpUrl, provider);
  return { client, consent, callback, close: () => client.close() };
}

/** A new connection with the tokens the provider holds (refreshing them first if needed). */
export async function connectAuthorized(mcpUrl: URL, provider: InMemoryOAuthProvider): Promise<Client> {
  const client = newClient();
  await client.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }));
  return client;
}

/** Calls the protected server's `whoami` tool and parses its answer. */
export async function whoami(client: Client): Promise<{ sub: string; client_id: string; scope: string }> {
  const result = await client.callTool({ name: 'whoami', arguments: {} });
  const content = result.content as { type: string; text?: string }[];
  const text = content.find((c) => c.type === 'text')?.text;
  if (result.isError || !text) throw new Error(`whoami failed: ${JSON.stringify(result)}`);
  return JSON.parse(text) as { sub: string; client_id: string; scope: string };
}
