/**
 * Integrity of a connection's provider metadata (issue 5, VA-1). The endpoints are stored in the
 * clear; an attacker who can write the database but holds no key-encryption key rewrites them to
 * point at their own server. The metadata is bound (by digest) to the connection's sealed client
 * credential, so every outbound call that would carry a secret or a token is refused before it
 * is made — the attacker's server receives nothing — until an administrator saves it again.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, useStorage } from '../storage/fixtures.ts';
import { VaultConnectionIntegrityError, VaultEntryUnusableError } from '../../src/vault/errors.ts';
import type { VaultProviderMetadata } from '../../src/storage/records.ts';
import { CLIENT_SECRET } from './support/third-party-provider.ts';
import { startCaptureServer, type CaptureServer } from './support/capture-server.ts';
import { createGithubLike, harness, linkThroughProvider, userinfo, useThirdPartyProvider } from './support/vault-fixture.ts';

describe.each(BACKENDS)('connection metadata integrity (%s)', (backend) => {
  const h = useStorage(backend);
  const tp = useThirdPartyProvider();
  let attacker: CaptureServer;
  beforeEach(async () => {
    attacker = await startCaptureServer();
  });
  afterEach(() => attacker.close());

  /** What a database-only attacker does: rewrite the row, leave the sealed credential alone. */
  async function rewrite(change: Partial<VaultProviderMetadata>): Promise<void> {
    const c = (await h.storage.vault.connections.get('tp'))!;
    await h.storage.vault.connections.update({ ...c, provider: { ...c.provider!, ...change } });
  }

  it('a token endpoint rewritten in the database gets neither the refresh token nor the client secret', async () => {
    const x = harness(h, tp.provider);
    const vault = x.vault();
    await createGithubLike(vault, tp.provider);
    await linkThroughProvider(vault, tp.provider, 'usr_alice', 'alice');
    await rewrite({ tokenEndpoint: `${attacker.origin}/token` });
    await expect(vault.refresh('usr_alice', 'tp')).rejects.toBeInstanceOf(VaultConnectionIntegrityError);
    x.clock += 3600; // expired: an ordinary release would refresh now
    await expect(vault.accessToken('usr_alice', 'tp')).rejects.toBeInstanceOf(VaultConnectionIntegrityError);
    expect(attacker.requests).toEqual([]);
    // Not a provider refusal: the entry is not marked, and no refresh lease is left behind.
    const entry = (await h.storage.vault.entries.getFor('usr_alice', 'tp'))!;
    expect(entry).toMatchObject({ status: 'ok', refreshLeaseUntil: null });
  });

  it('a revocation endpoint rewritten (or removed) in the database: unlink sends nothing and keeps the entry to retry', async () => {
    const x = harness(h, tp.provider);
    const vault = x.vault();
    await createGithubLike(vault, tp.provider);
    await linkThroughProvider(vault, tp.provider, 'usr_alice', 'alice');
    const { accessToken } = await vault.accessToken('usr_alice', 'tp');
    await rewrite({ revocationEndpoint: `${attacker.origin}/revoke` });
    expect(await vault.unlink('usr_alice', 'tp')).toEqual({ providerRevocation: 'failed' });
    expect(attacker.requests).toEqual([]);
    expect(await h.storage.vault.entries.getFor('usr_alice', 'tp')).toMatchObject({ status: 'revoked', lastError: 'revocation_failed:connection_integrity' });
    await expect(vault.accessToken('usr_alice', 'tp')).rejects.toBeInstanceOf(VaultEntryUnusableError);
    // Removing the endpoint does not silently skip the revocation either.
    await rewrite({ revocationEndpoint: null });
    expect(await vault.unlink('usr_alice', 'tp')).toEqual({ providerRevocation: 'failed' });
    expect((await userinfo(tp.provider, accessToken)).status).toBe(200);
    // The administrator saves the real metadata (and secret) again: unlinking now revokes at the provider.
    await vault.updateConnection('tp', { provider: { ...(await h.storage.vault.connections.get('tp'))!.provider!, revocationEndpoint: `${tp.provider.issuer}/token/revocation` }, clientSecret: CLIENT_SECRET });
    expect(await vault.unlink('usr_alice', 'tp')).toEqual({ providerRevocation: 'revoked' });
    expect((await userinfo(tp.provider, accessToken)).status).toBe(401);
  });

  it('a public client (no secret) is bound too; so are the authorization endpoint, client id and scopes; a removed credential is refused', async () => {
    const x = harness(h, tp.provider);
    const vault = x.vault();
    await vault.createConnection({ id: 'pub', kind: 'oauth', displayName: 'Public', provider: { authorizationEndpoint: `${tp.provider.issuer}/auth`, tokenEndpoint: `${tp.provider.issuer}/token`, revocationEndpoint: null, clientId: 'public-client', tokenEndpointAuthMethod: 'none', scopes: ['repo'] } });
    expect((await vault.getConnection('pub'))!.hasClientSecret).toBe(false);
    const url = (await vault.beginLink('usr_alice', 'pub', tp.provider.redirectUri)).authorizationUrl;
    expect(url.startsWith(`${tp.provider.issuer}/auth?`)).toBe(true);
    const pub = (await h.storage.vault.connections.get('pub'))!;
    for (const change of [{ authorizationEndpoint: `${attacker.origin}/auth` }, { clientId: 'attacker-client' }, { scopes: ['repo', 'admin'] }, { tokenEndpointAuthMethod: 'client_secret_post' as const }]) {
      await h.storage.vault.connections.update({ ...pub, provider: { ...pub.provider!, ...change } });
      await expect(vault.beginLink('usr_alice', 'pub', tp.provider.redirectUri)).rejects.toBeInstanceOf(VaultConnectionIntegrityError);
    }
    await h.storage.vault.connections.update({ ...pub, clientSecret: null });
    await expect(vault.beginLink('usr_alice', 'pub', tp.provider.redirectUri)).rejects.toBeInstanceOf(VaultConnectionIntegrityError);
    // The metadata restored exactly as saved opens again (the digest is over the metadata, not the row).
    await h.storage.vault.connections.update(pub);
    await expect(vault.beginLink('usr_alice', 'pub', tp.provider.redirectUri)).resolves.toBeDefined();
  });

  it('admin updates re-seal: changed metadata works at once; a new secret alone never blesses rewritten metadata', async () => {
    const x = harness(h, tp.provider);
    const vault = x.vault();
    await createGithubLike(vault, tp.provider);
    await linkThroughProvider(vault, tp.provider, 'usr_alice', 'alice');
    const saved = (await h.storage.vault.connections.get('tp'))!.provider!;
    await vault.updateConnection('tp', { provider: { ...saved, scopes: ['openid', 'offline_access'] } });
    expect((await vault.refresh('usr_alice', 'tp')).accessToken).toBeTruthy();
    expect((await vault.getConnection('tp'))!.hasClientSecret).toBe(true);
    await vault.updateConnection('tp', { displayName: 'Renamed' });
    expect((await vault.refresh('usr_alice', 'tp')).accessToken).toBeTruthy();

    await rewrite({ tokenEndpoint: `${attacker.origin}/token` });
    await expect(vault.updateConnection('tp', { clientSecret: 'rotated-secret' })).rejects.toBeInstanceOf(VaultConnectionIntegrityError);
    await expect(vault.updateConnection('tp', { provider: { ...saved, scopes: ['openid'] } })).rejects.toBeInstanceOf(VaultConnectionIntegrityError);
    await expect(vault.refresh('usr_alice', 'tp')).rejects.toBeInstanceOf(VaultConnectionIntegrityError);
    expect(attacker.requests).toEqual([]);
    await vault.updateConnection('tp', { provider: saved, clientSecret: CLIENT_SECRET });
    expect((await vault.refresh('usr_alice', 'tp')).accessToken).toBeTruthy();
  });
});
