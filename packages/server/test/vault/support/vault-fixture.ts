/**
 * A TokenVault over an isolated database, linked to the loopback third-party provider, with a
 * controllable clock and a fetch that counts provider requests and can simulate an outage.
 */
import { afterAll, beforeAll, vi } from 'vitest';
import { randomBytes } from 'node:crypto';
import { LocalKeyEncryptionKeys } from '../../../src/vault/kek.ts';
import { TokenVault } from '../../../src/vault/service.ts';
import type { Fetch } from '../../../src/vault/provider-client.ts';
import type { ConnectionView } from '../../../src/vault/connections.ts';
import type { VaultProviderMetadata } from '../../../src/storage/records.ts';
import type { StorageHandle } from '../../storage/fixtures.ts';
import { authorize, CLIENT_ID, CLIENT_SECRET, startThirdPartyProvider, type ThirdPartyProvider } from './third-party-provider.ts';

export interface Harness {
  provider: ThirdPartyProvider;
  /** grant_type (or `revoke:<hint>`) of every request the vault sent to the provider. */
  calls: string[];
  /** When true, every provider request fails at the network level. */
  down: boolean;
  clock: number;
  /** While set, refresh requests wait for it before reaching the provider (to interleave an unlink). */
  refreshGate: Promise<void> | null;
  /** Called when a refresh request reaches the gate. */
  onRefreshGated: (() => void) | null;
  /** Revocation requests fail at the network level. */
  failRevoke: boolean;
  fetch: Fetch;
  keys: LocalKeyEncryptionKeys;
  vault(keys?: LocalKeyEncryptionKeys): TokenVault;
}

export function useThirdPartyProvider(): { provider: ThirdPartyProvider } {
  const holder = {} as { provider: ThirdPartyProvider };
  beforeAll(async () => {
    holder.provider = await startThirdPartyProvider();
  });
  afterAll(async () => {
    await holder.provider.close();
  });
  return holder;
}

export function harness(h: StorageHandle, provider: ThirdPartyProvider): Harness {
  const x = {
    provider,
    calls: [] as string[],
    down: false,
    refreshGate: null,
    onRefreshGated: null,
    failRevoke: false,
    clock: Math.floor(Date.now() / 1000),
    keys: new LocalKeyEncryptionKeys({ id: 'k1', key: randomBytes(32) }),
  } as Harness;
  x.fetch = (async (input: Parameters<Fetch>[0], init?: Parameters<Fetch>[1]) => {
    const body = init?.body instanceof URLSearchParams ? init.body : null;
    x.calls.push(body?.get('grant_type') ?? `revoke:${body?.get('token_type_hint') ?? '?'}`);
    if (x.down) throw new TypeError('fetch failed');
    if (body?.get('grant_type') === 'refresh_token' && x.refreshGate) {
      x.onRefreshGated?.();
      await x.refreshGate;
    }
    if (body?.has('token_type_hint') && x.failRevoke) throw new TypeError('fetch failed');
    return fetch(input, init);
  }) as Fetch;
  x.vault = (keys = x.keys) => new TokenVault({ storage: h.storage, keys, fetch: x.fetch, now: () => x.clock });
  return x;
}

/** The loopback provider's metadata as a GitHub-like connection saves it, with any fields overridden. */
export function githubLikeMetadata(provider: ThirdPartyProvider, overrides: Partial<VaultProviderMetadata> = {}): VaultProviderMetadata {
  return {
    authorizationEndpoint: `${provider.issuer}/auth`,
    tokenEndpoint: `${provider.issuer}/token`,
    revocationEndpoint: `${provider.issuer}/token/revocation`,
    clientId: CLIENT_ID,
    tokenEndpointAuthMethod: 'client_secret_basic',
    scopes: ['openid', 'offline_access', 'repo'],
    ...overrides,
  };
}

export async function createGithubLike(vault: TokenVault, provider: ThirdPartyProvider): Promise<void> {
  await vault.createConnection({ id: 'tp', kind: 'oauth', displayName: 'Third party', provider: githubLikeMetadata(provider), clientSecret: CLIENT_SECRET });
}

/** A static-key connection (VA-2): users store their own API key at it. */
export function createStaticOpenAi(vault: TokenVault): Promise<ConnectionView> {
  return vault.createConnection({ id: 'openai', kind: 'static', displayName: 'OpenAI' });
}

/** Links `userId`'s account through the real code flow, logging in at the provider as `login`. */
export async function linkThroughProvider(vault: TokenVault, provider: ThirdPartyProvider, userId: string, login: string): Promise<void> {
  const { authorizationUrl, pending } = await vault.beginLink(userId, 'tp', provider.redirectUri);
  const params = await authorize(authorizationUrl, login);
  await vault.completeLink(userId, pending, { state: params.get('state'), code: params.get('code'), error: params.get('error') });
}

/** The provider's userinfo for an access token: 200 and the subject while the token is live. */
export async function userinfo(provider: ThirdPartyProvider, accessToken: string): Promise<{ status: number; sub?: string }> {
  const r = await fetch(`${provider.issuer}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
  const body = (await r.json().catch(() => ({}))) as { sub?: string };
  return { status: r.status, ...(body.sub ? { sub: body.sub } : {}) };
}

/** A refresh request sent straight to the provider (not through the vault). */
export async function directRefresh(provider: ThirdPartyProvider, refreshToken: string): Promise<{ status: number; error?: string }> {
  const r = await fetch(`${provider.issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
  const body = (await r.json().catch(() => ({}))) as { error?: string };
  return { status: r.status, ...(body.error ? { error: body.error } : {}) };
}

/**
 * Runs `during` right after the `nth` read of a vault entry (entries.get) returns, before the
 * reader goes on: a refresh reads its entry first, then again after the provider's answer
 * (refresh.ts failed()), so n = 2 lands between that answer and the write it decides. `restore`
 * ends the interleaving; `reads` counts the reads seen.
 */
export function afterEntryRead(h: StorageHandle, nth: number, during: () => Promise<unknown>): { restore: () => void; reads: () => number } {
  const entries = h.storage.vault.entries;
  const read = entries.get.bind(entries);
  let reads = 0;
  const spy = vi.spyOn(entries, 'get').mockImplementation(async (id: string) => {
    const row = await read(id);
    if (++reads === nth) await during();
    return row;
  });
  return { restore: () => spy.mockRestore(), reads: () => reads };
}
