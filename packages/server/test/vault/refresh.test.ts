/**
 * Refresh before expiry against a real provider (issue 5, VA-1): one refresh per entry however
 * many callers wait, rotation honoured, failures marked on the entry with no secret in them.
 */
import { describe, expect, it } from 'vitest';
import { BACKENDS, useStorage } from '../storage/fixtures.ts';
import { open } from '../../src/vault/envelope.ts';
import { decodePayload, type OAuthPayload } from '../../src/vault/payload.ts';
import { VaultEntryUnusableError, VaultProviderError } from '../../src/vault/errors.ts';
import { REFRESH_BACKOFF_SECONDS } from '../../src/vault/service.ts';
import type { Harness } from './support/vault-fixture.ts';
import { afterEntryRead, createGithubLike, directRefresh, harness, linkThroughProvider, userinfo, useThirdPartyProvider } from './support/vault-fixture.ts';

async function storedPayload(x: Harness, h: ReturnType<typeof useStorage>, userId: string): Promise<OAuthPayload> {
  const e = await h.storage.vault.entries.getFor(userId, 'tp');
  const p = decodePayload(await open(x.keys, { kind: 'entry', entryId: e!.id, userId, connectionId: 'tp' }, e!.sealed));
  if (p.kind !== 'oauth') throw new Error('not oauth');
  return p;
}

describe.each(BACKENDS)('vault refresh (real provider on loopback) (%s)', (backend) => {
  const h = useStorage(backend);
  const tp = useThirdPartyProvider();

  async function linked(rotation: boolean): Promise<{ x: Harness; vault: ReturnType<Harness['vault']> }> {
    tp.provider.setRotation(rotation);
    const x = harness(h, tp.provider);
    const vault = x.vault();
    await createGithubLike(vault, tp.provider);
    await linkThroughProvider(vault, tp.provider, 'usr_alice', 'alice');
    x.calls.length = 0;
    return { x, vault };
  }

  it('does not refresh a token with more than the skew left', async () => {
    const { x, vault } = await linked(true);
    const a = await vault.accessToken('usr_alice', 'tp');
    x.clock += 3600 - 61;
    expect((await vault.accessToken('usr_alice', 'tp')).accessToken).toBe(a.accessToken);
    expect(x.calls).toEqual([]);
  });

  it('refreshes once for many concurrent callers near expiry and stores the rotated refresh token', async () => {
    const { x, vault } = await linked(true);
    const before = await storedPayload(x, h, 'usr_alice');
    x.clock += 3600 - 30;
    const results = await Promise.all(Array.from({ length: 8 }, () => vault.accessToken('usr_alice', 'tp')));
    expect(x.calls).toEqual(['refresh_token']);
    expect(new Set(results.map((r) => r.accessToken)).size).toBe(1);
    const fresh = results[0]!;
    expect(fresh.accessToken).not.toBe(before.access_token);
    expect(fresh.expiresAt).toBe(x.clock + 3600);
    expect(await userinfo(tp.provider, fresh.accessToken)).toEqual({ status: 200, sub: 'alice' });
    const after = await storedPayload(x, h, 'usr_alice');
    expect(after.refresh_token).not.toBe(before.refresh_token);
    // The vault holds the rotated refresh token: the next refresh succeeds with it.
    x.clock += 3600 - 30;
    const again = await vault.accessToken('usr_alice', 'tp');
    expect(again.accessToken).not.toBe(fresh.accessToken);
    expect(x.calls).toEqual(['refresh_token', 'refresh_token']);
    // The provider spent the old one (and, detecting its reuse, ends the grant: RFC 9700 §4.14.2).
    expect((await directRefresh(tp.provider, before.refresh_token!)).error).toBe('invalid_grant');
  });

  it('keeps the refresh token when the provider does not rotate', async () => {
    const { x, vault } = await linked(false);
    const before = await storedPayload(x, h, 'usr_alice');
    x.clock += 3600;
    await vault.accessToken('usr_alice', 'tp');
    x.clock += 3600;
    await vault.refresh('usr_alice', 'tp');
    expect(x.calls).toEqual(['refresh_token', 'refresh_token']);
    expect((await storedPayload(x, h, 'usr_alice')).refresh_token).toBe(before.refresh_token);
  });

  it('marks the entry refresh_failed with the provider error code when the refresh token is rejected, and stops calling the provider', async () => {
    const { x, vault } = await linked(true);
    const before = await storedPayload(x, h, 'usr_alice');
    // Spend the refresh token behind the vault's back (as a rotation elsewhere or a provider-side revocation would).
    expect((await directRefresh(tp.provider, before.refresh_token!)).status).toBe(200);
    x.clock += 3600;
    const err = await vault.accessToken('usr_alice', 'tp').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VaultEntryUnusableError);
    const [entry] = await vault.listForUser('usr_alice');
    expect(entry).toMatchObject({ status: 'refresh_failed', lastError: 'invalid_grant' });
    expect(JSON.stringify(entry)).not.toContain(before.refresh_token!);
    expect(JSON.stringify(entry)).not.toContain(before.access_token);
    await expect(vault.accessToken('usr_alice', 'tp')).rejects.toBeInstanceOf(VaultEntryUnusableError);
    expect(x.calls).toEqual(['refresh_token']);
    // AU-1: the transition is audited once, with the code and no secret.
    const failures = await h.storage.audit.list({ event: 'vault_refresh_failed' });
    expect(failures).toEqual([expect.objectContaining({ userId: 'usr_alice', result: 'failure', reason: 'invalid_grant', resource: 'urn:mandate:vault:tp', data: { connection: 'tp', entry_id: entry!.id } })]);
    expect(JSON.stringify(failures)).not.toContain(before.refresh_token!);
    // Linking again repairs the entry.
    await linkThroughProvider(vault, tp.provider, 'usr_alice', 'alice');
    expect((await vault.listForUser('usr_alice'))[0]).toMatchObject({ status: 'ok', lastError: null });
    expect((await userinfo(tp.provider, (await vault.accessToken('usr_alice', 'tp')).accessToken)).status).toBe(200);
  });

  it('a re-link that stores new tokens while a refused refresh is being marked wins: not marked, not audited, its tokens served', async () => {
    const { x, vault } = await linked(true);
    const before = await storedPayload(x, h, 'usr_alice');
    expect((await directRefresh(tp.provider, before.refresh_token!)).status).toBe(200);
    x.clock += 3600;
    // The refresh's second read of the row (refresh.ts failed(), after the provider's invalid_grant):
    // the user links again right after it, before the entry is marked.
    const relink = afterEntryRead(h, 2, () => linkThroughProvider(vault, tp.provider, 'usr_alice', 'alice'));
    let released: Awaited<ReturnType<typeof vault.accessToken>>;
    try {
      released = await vault.accessToken('usr_alice', 'tp');
    } finally {
      relink.restore();
    }
    expect(relink.reads()).toBeGreaterThanOrEqual(2);
    const relinked = await storedPayload(x, h, 'usr_alice');
    expect(relinked.access_token).not.toBe(before.access_token);
    expect(released.accessToken).toBe(relinked.access_token);
    expect((await vault.listForUser('usr_alice'))[0]).toMatchObject({ status: 'ok', lastError: null });
    expect(await h.storage.audit.list({ event: 'vault_refresh_failed' })).toEqual([]);
  });

  it('on a provider outage keeps serving the unexpired token, records the error, and retries on the next use', async () => {
    const { x, vault } = await linked(true);
    const current = await vault.accessToken('usr_alice', 'tp');
    x.clock += 3600 - 30;
    x.down = true;
    expect((await vault.accessToken('usr_alice', 'tp')).accessToken).toBe(current.accessToken);
    expect((await vault.listForUser('usr_alice'))[0]).toMatchObject({ status: 'ok', lastError: 'network_error' });
    // Paused: the still valid token is served again without waiting on the provider.
    const tried = x.calls.length;
    expect((await vault.accessToken('usr_alice', 'tp')).accessToken).toBe(current.accessToken);
    expect(x.calls).toHaveLength(tried);
    x.clock += 60;
    const err = await vault.accessToken('usr_alice', 'tp').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VaultProviderError);
    expect((err as VaultProviderError).error).toBe('network_error');
    x.down = false;
    // Paused after the failure: the next use within REFRESH_BACKOFF_SECONDS is refused at once, the provider not called.
    const calls = x.calls.length;
    const paused = await vault.accessToken('usr_alice', 'tp').catch((e: unknown) => e);
    expect(paused).toBeInstanceOf(VaultProviderError);
    expect((paused as VaultProviderError).error).toBe('network_error');
    expect(x.calls).toHaveLength(calls);
    x.clock += REFRESH_BACKOFF_SECONDS;
    const fresh = await vault.accessToken('usr_alice', 'tp');
    expect(fresh.accessToken).not.toBe(current.accessToken);
    expect((await vault.listForUser('usr_alice'))[0]).toMatchObject({ status: 'ok', lastError: null });
  });

  it('takes over the refresh when another instance died holding the lease, once the lease has run out', async () => {
    const { x, vault } = await linked(true);
    const entry = await h.storage.vault.entries.getFor('usr_alice', 'tp');
    x.clock += 3600;
    // A crashed instance claimed the refresh and never wrote back.
    expect(await h.storage.vault.entries.claimRefresh(entry!.id, entry!.sealed.ciphertext, x.clock + 30, x.clock)).toBe(true);
    x.clock += 31;
    const fresh = await vault.accessToken('usr_alice', 'tp');
    expect(x.calls).toEqual(['refresh_token']);
    expect(await userinfo(tp.provider, fresh.accessToken)).toEqual({ status: 200, sub: 'alice' });
    expect((await h.storage.vault.entries.getFor('usr_alice', 'tp'))?.refreshLeaseUntil).toBeNull();
  });

  it('two vault instances refreshing the same entry at once: one spends the refresh token, the other waits and adopts its tokens', async () => {
    const { x, vault } = await linked(true);
    // Separate TokenVault objects share no single-flight map: only the storage lease keeps them apart.
    const others = [x.vault(), x.vault(), x.vault()];
    x.clock += 3600;
    const results = await Promise.all([vault, ...others].map((v) => v.accessToken('usr_alice', 'tp')));
    // With rotation, a second refresh with the same token would have made the provider revoke the grant.
    expect(x.calls).toEqual(['refresh_token']);
    const a = results[0]!;
    expect(new Set(results.map((r) => r.accessToken)).size).toBe(1);
    expect((await vault.listForUser('usr_alice'))[0]?.status).toBe('ok');
    expect(await userinfo(tp.provider, a.accessToken)).toEqual({ status: 200, sub: 'alice' });
    const stored = await storedPayload(x, h, 'usr_alice');
    expect(stored.access_token).toBe(a.accessToken);
    expect(stored).toMatchObject({ kind: 'oauth' });
    expect((await h.storage.vault.entries.getFor('usr_alice', 'tp'))?.refreshLeaseUntil).toBeNull();
    expect((await directRefresh(tp.provider, stored.refresh_token!)).status).toBe(200);
  });
});
