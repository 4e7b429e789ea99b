/**
 * The vault's outbound calls go through the SSRF guard (vault/outbound.ts over
 * federation/upstream/fetch.ts): loopback and private addresses refused unless the development
 * allowance names them, https only otherwise, no redirects, a body limit. The request is refused
 * before it leaves: the server never sees the refresh token or the client secret.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { useStorage } from '../storage/fixtures.ts';
import { LocalKeyEncryptionKeys } from '../../src/vault/kek.ts';
import { TokenVault } from '../../src/vault/service.ts';
import { providerFetch, PROVIDER_MAX_BYTES } from '../../src/vault/outbound.ts';
import { refreshTokens, type ProviderClient } from '../../src/vault/provider-client.ts';
import { VaultProviderError } from '../../src/vault/errors.ts';
import { startCaptureServer, type CaptureServer } from './support/capture-server.ts';

const metadata = (origin: string) => ({
  authorizationEndpoint: `${origin}/auth`,
  tokenEndpoint: `${origin}/token`,
  revocationEndpoint: `${origin}/revoke`,
  clientId: 'mandate',
  tokenEndpointAuthMethod: 'client_secret_basic' as const,
  scopes: ['repo'],
});

async function providerError(work: Promise<unknown>): Promise<VaultProviderError> {
  const err = await work.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(VaultProviderError);
  return err as VaultProviderError;
}

describe('vault provider calls through the SSRF guard', () => {
  const h = useStorage('sqlite');
  let srv: CaptureServer;
  beforeEach(async () => {
    srv = await startCaptureServer();
  });
  afterEach(() => srv.close());

  const client = (fetch = providerFetch([srv.hostPort])): ProviderClient => ({ metadata: metadata(srv.origin), clientSecret: 'the-client-secret', fetch });

  it('a TokenVault built without a fetch refuses a loopback provider before sending anything', async () => {
    const vault = new TokenVault({ storage: h.storage, keys: new LocalKeyEncryptionKeys({ id: 'k1', key: randomBytes(32) }) });
    await vault.createConnection({ id: 'internal', kind: 'oauth', displayName: 'Internal', provider: metadata(srv.origin), clientSecret: 'the-client-secret' });
    await vault.linkTokens('usr_alice', 'internal', { accessToken: 'at', refreshToken: 'the-refresh-token', expiresIn: 10, scope: 'repo' });
    // Refused as an outage would be: the unexpired token is still served, the error recorded.
    expect((await vault.refresh('usr_alice', 'internal')).accessToken).toBe('at');
    expect(await h.storage.vault.entries.getFor('usr_alice', 'internal')).toMatchObject({ status: 'ok', lastError: 'endpoint_refused' });
    expect(await vault.unlink('usr_alice', 'internal')).toEqual({ providerRevocation: 'failed' });
    expect(srv.requests).toEqual([]);
  });

  it('the development allowance admits the named host:port only', async () => {
    expect((await refreshTokens(client(), 'rt')).accessToken).toBe('attacker-issued');
    expect(srv.requests).toHaveLength(1);
    expect((await providerError(refreshTokens(client(providerFetch(['127.0.0.1:1'])), 'rt'))).error).toBe('endpoint_refused');
    expect(srv.requests).toHaveLength(1);
  });

  it('a response larger than the limit is refused, not read into memory', async () => {
    srv.respond = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: 'x'.repeat(PROVIDER_MAX_BYTES + 1), token_type: 'Bearer' }));
    };
    const err = await providerError(refreshTokens(client(), 'rt'));
    expect([err.error, err.message]).toEqual(['invalid_response', expect.stringContaining('ERR_TOO_LARGE')]);
  });

  it('a redirect is not followed: the form (refresh token, secret) goes nowhere else', async () => {
    const other = await startCaptureServer();
    try {
      srv.respond = (_req, res) => {
        res.writeHead(307, { location: `${other.origin}/token` });
        res.end();
      };
      const err = await providerError(refreshTokens(client(providerFetch([srv.hostPort, other.hostPort])), 'rt'));
      expect(err.error).toBe('invalid_response');
      expect(other.requests).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
