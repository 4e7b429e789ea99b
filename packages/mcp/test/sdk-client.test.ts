/**
 * The MCP SDK client end to end against a Mandate-protected server and a real Mandate AS, with
 * its own OAuth machinery (ClientCredentialsProvider): the 401 challenge leads it through RFC 9728
 * and RFC 8414 discovery to a client_credentials token carrying `resource` = our canonical URI.
 *
 * Found while writing this: for non-interactive grants the SDK (1.32) requests
 * `clientMetadata.scope`, not the challenged scope, so a 403 insufficient_scope makes it re-run
 * the grant with the same scope and give up ("after trying upscoping"). The test pins that
 * behaviour; interactive (authorization code) clients do use the challenged scope.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { decodeJwt } from 'jose';
import type { TokenServer } from '../../server/test/token/fixtures.ts';
import { SDK_CLIENT, startAs, startMcp, type RunningMcp } from './support/setup.ts';

let as: TokenServer;
let rs: RunningMcp;

beforeAll(async () => {
  as = await startAs();
  rs = await startMcp(as, 'node', { challengeScope: ['hr:read'] });
});
afterAll(async () => {
  await rs?.close();
  await as?.close();
});

async function connect(scope: string): Promise<{ client: Client; provider: ClientCredentialsProvider }> {
  const provider = new ClientCredentialsProvider({ clientId: SDK_CLIENT.id, clientSecret: SDK_CLIENT.secret, scope, expectedIssuer: as.issuer });
  const client = new Client({ name: 'sdk-client', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(rs.url), { authProvider: provider }));
  return { client, provider };
}

describe('RFC 9728 §5 / MCP authorization: the SDK client discovers and authorizes from our 401', () => {
  it('obtains a token for exactly this resource and lists the tools its scope allows', async () => {
    const { client, provider } = await connect('hr:read');
    try {
      const token = provider.tokens()?.access_token ?? '';
      expect(decodeJwt(token).aud).toBe(rs.url);
      expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['approve_payment', 'list_employees']);
      const result = await client.callTool({ name: 'list_employees', arguments: {} });
      expect(result.structuredContent).toEqual({ employees: [{ id: 'e1', name: 'Ada' }] });
    } finally {
      await client.close();
    }
  });

  it('with hr:write in its scope, calls the write tool', async () => {
    const { client } = await connect('hr:write');
    try {
      const result = await client.callTool({ name: 'update_status', arguments: { id: 'e1', status: 'active' } });
      expect(result.structuredContent).toEqual({ id: 'e1', status: 'active' });
    } finally {
      await client.close();
    }
  });
});

describe('STEP-1 the SDK client reads our 403 insufficient_scope', () => {
  it('re-runs its grant once on the challenge, then reports the 403 (non-interactive SDK clients do not widen scope)', async () => {
    const { client } = await connect('hr:read');
    rs.audit.length = 0;
    try {
      await expect(client.callTool({ name: 'update_status', arguments: { id: 'e1', status: 'active' } })).rejects.toThrow(/403/);
      // Two attempts, each challenged with the same header: the SDK recognised insufficient_scope and retried once.
      expect(rs.audit.map((e) => [e.tool, e.decision])).toEqual([
        ['update_status', 'challenge'],
        ['update_status', 'challenge'],
      ]);
    } finally {
      await client.close();
    }
  });
});
