/**
 * The vault's OAuth client against a misbehaving provider: every malformed or hostile token
 * response is a VaultProviderError with a bounded code and no token echoed into the message.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshTokens, revokeToken, type ProviderClient } from '../../src/vault/provider-client.ts';
import { VaultProviderError } from '../../src/vault/errors.ts';

let server: Server;
let base: string;
let reply: { status: number; body: string } = { status: 200, body: '{}' };
let lastAuth: string | undefined;
let lastBody = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    lastAuth = req.headers.authorization;
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      lastBody = body;
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(reply.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function client(method: ProviderClient['metadata']['tokenEndpointAuthMethod'] = 'client_secret_basic'): ProviderClient {
  return {
    metadata: { authorizationEndpoint: `${base}/auth`, tokenEndpoint: `${base}/token`, revocationEndpoint: `${base}/revoke`, clientId: 'id with:colon', tokenEndpointAuthMethod: method, scopes: [] },
    clientSecret: 'sec ret/+',
    fetch,
  };
}

async function providerError(work: Promise<unknown>): Promise<VaultProviderError> {
  const err = await work.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(VaultProviderError);
  return err as VaultProviderError;
}

describe('provider client', () => {
  it('authenticates with RFC 6749 §2.3.1 form-encoded Basic credentials, or in the body for client_secret_post', async () => {
    reply = { status: 200, body: JSON.stringify({ access_token: 'at', token_type: 'Bearer', expires_in: 60 }) };
    expect(await refreshTokens(client(), 'rt')).toEqual({ accessToken: 'at', refreshToken: null, expiresIn: 60, scope: null });
    expect(Buffer.from(lastAuth!.slice(6), 'base64').toString()).toBe('id+with%3Acolon:sec+ret%2F%2B');
    await refreshTokens(client('client_secret_post'), 'rt');
    expect(lastAuth).toBeUndefined();
    expect(Object.fromEntries(new URLSearchParams(lastBody))).toEqual({ grant_type: 'refresh_token', refresh_token: 'rt', client_id: 'id with:colon', client_secret: 'sec ret/+' });
  });

  it('turns malformed responses into invalid_response / server_error, and never echoes a token', async () => {
    const cases: [number, string, string][] = [
      [200, 'not json', 'invalid_response'],
      [200, JSON.stringify({ token_type: 'Bearer' }), 'invalid_response'],
      [200, JSON.stringify({ access_token: 'at-secret', token_type: 'DPoP' }), 'invalid_response'],
      [200, JSON.stringify({ access_token: 42, token_type: 'Bearer' }), 'invalid_response'],
      [400, JSON.stringify({ error: 'invalid_grant', error_description: 'refresh token rt-secret-' + 'x'.repeat(300) }), 'invalid_grant'],
      [400, JSON.stringify({ error: 'bad code with spaces' }), 'invalid_response'],
      [502, '<html>bad gateway</html>', 'server_error'],
    ];
    for (const [status, body, code] of cases) {
      reply = { status, body };
      const err = await providerError(refreshTokens(client(), 'rt-secret'));
      expect(err.error).toBe(code);
      expect(err.status).toBe(status);
      expect(err.message).not.toContain('secret');
    }
  });

  it('reports an unreachable provider as network_error', async () => {
    const c = client();
    c.metadata = { ...c.metadata, tokenEndpoint: 'http://127.0.0.1:1/token' };
    expect((await providerError(refreshTokens(c, 'rt'))).error).toBe('network_error');
  });

  it('treats any 200 from the revocation endpoint as success (RFC 7009 §2.2) and anything else as an error', async () => {
    reply = { status: 200, body: '' };
    await revokeToken(client(), 'rt', 'refresh_token');
    expect(Object.fromEntries(new URLSearchParams(lastBody))).toEqual({ token: 'rt', token_type_hint: 'refresh_token' });
    reply = { status: 503, body: JSON.stringify({ error: 'temporarily_unavailable' }) };
    expect((await providerError(revokeToken(client(), 'rt', 'refresh_token'))).error).toBe('temporarily_unavailable');
  });
});
