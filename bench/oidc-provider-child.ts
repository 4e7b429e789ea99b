/**
 * node-oidc-provider configured like Mandate for the client_credentials comparison:
 * one client_secret_basic client, JWT access tokens (RFC 9068 via resource indicators with a
 * default resource, accessTokenFormat 'jwt', ES256 key), its default in-memory adapter.
 * It runs in its own process so its resident memory and event loop are its own.
 */
import { createServer } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';
import { serveCommands } from './lib/child.ts';
import { memoryFigures } from './lib/memory.ts';
import { CC_CLIENT } from './lib/fixtures.ts';

async function start(args: { resource: string; scope: string }): Promise<{ port: number; issuer: string }> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'bench-es256' };
  const http = createServer();
  const port = await new Promise<number>((resolve) => http.listen(0, '127.0.0.1', () => resolve((http.address() as { port: number }).port)));
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CC_CLIENT.clientId,
        client_secret: CC_CLIENT.secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: args.scope,
      },
    ],
    jwks: { keys: [jwk] },
    scopes: [args.scope],
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => args.resource,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: args.scope,
          audience: args.resource,
          accessTokenTTL: 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
  });
  http.on('request', provider.callback());
  return { port, issuer };
}

serveCommands({
  start,
  memory: () => memoryFigures(),
  cpuUsage: () => process.cpuUsage(),
});
