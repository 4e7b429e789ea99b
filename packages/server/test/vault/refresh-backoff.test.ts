/**
 * Edges of the refresh pause (service.ts refreshWithBackoff, REFRESH_BACKOFF_SECONDS): an entry
 * with no refresh token is never paused — nothing was tried, so at expiry it must be marked for a
 * re-link at once — and a refresh that started under a connection's old settings and ends after an
 * admin updated them (the fix the pause waits for) does not pause the entry.
 */
import { describe, expect, it } from 'vitest';
import { BACKENDS, useStorage } from '../storage/fixtures.ts';
import { VaultEntryUnusableError, VaultProviderError } from '../../src/vault/errors.ts';
import { REFRESH_BACKOFF_SECONDS } from '../../src/vault/service.ts';
import { CLIENT_SECRET } from './support/third-party-provider.ts';
import { createGithubLike, harness, linkThroughProvider, userinfo, useThirdPartyProvider, type Harness } from './support/vault-fixture.ts';

describe.each(BACKENDS)('vault refresh pause edge cases (%s)', (backend) => {
  const h = useStorage(backend);
  const tp = useThirdPartyProvider();

  it('no refresh token: served as is near expiry, never paused; expired, every caller (instances too) gets refresh_failed, marked and audited once, the provider never called', async () => {
    const x = harness(h, tp.provider);
    const vault = x.vault();
    await createGithubLike(vault, tp.provider);
    const linkedAt = x.clock;
    const { id } = await vault.linkTokens('usr_alice', 'tp', { accessToken: 'at-without-refresh', refreshToken: null, expiresIn: 3600, scope: 'repo' });
    // Inside the refresh skew: there is nothing to refresh with, so the stored token is served.
    x.clock += 3600 - 5;
    expect(await vault.accessToken('usr_alice', 'tp')).toEqual({ accessToken: 'at-without-refresh', expiresAt: linkedAt + 3600, scope: 'repo' });
    expect(await h.storage.vault.entries.get(id)).toMatchObject({ status: 'ok', lastError: null });
    // Expired 10 s later, within what a pause would be: it must not be refused as temporarily unavailable.
    x.clock += 10;
    expect(10).toBeLessThan(REFRESH_BACKOFF_SECONDS);
    const outcomes = await Promise.all([vault, vault, vault, x.vault()].map((v) => v.accessToken('usr_alice', 'tp').catch((e: unknown) => e)));
    for (const err of outcomes) {
      expect(err).toBeInstanceOf(VaultEntryUnusableError);
      expect(err).toMatchObject({ entryId: id, status: 'refresh_failed' });
    }
    expect(await h.storage.vault.entries.get(id)).toMatchObject({ status: 'refresh_failed', lastError: 'no_refresh_token', refreshLeaseUntil: null });
    const audited = await h.storage.audit.list({ event: 'vault_refresh_failed' });
    expect(audited).toEqual([expect.objectContaining({ userId: 'usr_alice', result: 'failure', reason: 'no_refresh_token', resource: 'urn:mandate:vault:tp', data: { connection: 'tp', entry_id: id } })]);
    await expect(vault.accessToken('usr_alice', 'tp')).rejects.toMatchObject({ status: 'refresh_failed' });
    expect(await h.storage.audit.list({ event: 'vault_refresh_failed' })).toHaveLength(1);
    expect(x.calls).toEqual([]);
    // Nothing paused: a link made at once is released at once.
    await linkThroughProvider(vault, tp.provider, 'usr_alice', 'alice');
    expect((await userinfo(tp.provider, (await vault.accessToken('usr_alice', 'tp')).accessToken)).status).toBe(200);
  });

  /** Links, breaks the client secret (an admin rotating it), lets the token age by `age` and starts a release whose refresh is held at the provider. */
  async function refreshHeldUnderBrokenSecret(age: number): Promise<{ x: Harness; vault: ReturnType<Harness['vault']>; before: string; first: Promise<unknown>; release: () => void }> {
    tp.provider.setRotation(true);
    const x = harness(h, tp.provider);
    const vault = x.vault();
    await createGithubLike(vault, tp.provider);
    await linkThroughProvider(vault, tp.provider, 'usr_alice', 'alice');
    const before = (await vault.accessToken('usr_alice', 'tp')).accessToken;
    await vault.updateConnection('tp', { clientSecret: 'not-the-secret-yet' });
    x.calls.length = 0;
    x.clock += age;
    let open!: () => void;
    x.refreshGate = new Promise<void>((resolve) => (open = resolve));
    const gated = new Promise<void>((resolve) => (x.onRefreshGated = resolve));
    const first = vault.accessToken('usr_alice', 'tp').catch((e: unknown) => e);
    await gated;
    return { x, vault, before, first, release: () => ((x.refreshGate = null), open()) };
  }

  it.each([
    ['expired', 3600, (r: unknown) => expect(r).toMatchObject({ error: 'invalid_client' })],
    ['still valid, inside the skew (served unrefreshed)', 3600 - 30, (r: unknown, before: string) => expect(r).toMatchObject({ accessToken: before })],
  ] as const)('a refresh started before an admin update and failing after it does not pause the entry — token %s', async (_name, age, expectOutcome) => {
    const { x, vault, before, first, release } = await refreshHeldUnderBrokenSecret(age);
    // The admin fixes the secret while the refresh (its request built with the old one) is at the provider.
    await vault.updateConnection('tp', { clientSecret: CLIENT_SECRET });
    // A caller arriving after the update joins that refresh (one per entry) and shares its outcome.
    const joined = vault.accessToken('usr_alice', 'tp').catch((e: unknown) => e);
    release();
    for (const outcome of [await first, await joined]) {
      if (outcome instanceof Error) expect(outcome).toBeInstanceOf(VaultProviderError);
      expectOutcome(outcome, before);
    }
    expect(x.calls).toEqual(['refresh_token']);
    expect(await vault.listForUser('usr_alice')).toMatchObject([{ status: 'ok', lastError: 'invalid_client' }]);
    // Not paused by that stale failure: the next release, at the same instant, refreshes with the fixed secret.
    const fresh = await vault.accessToken('usr_alice', 'tp');
    expect(fresh.accessToken).not.toBe(before);
    expect(await userinfo(tp.provider, fresh.accessToken)).toEqual({ status: 200, sub: 'alice' });
    expect(x.calls).toEqual(['refresh_token', 'refresh_token']);
    expect(await vault.listForUser('usr_alice')).toMatchObject([{ status: 'ok', lastError: null }]);
  });

  it('a refresh started after an admin update and failing pauses as usual', async () => {
    const { x, vault, first, release } = await refreshHeldUnderBrokenSecret(3600);
    release();
    expect(await first).toMatchObject({ error: 'invalid_client' });
    // Same settings generation: paused, so the next release is refused at once without calling the provider.
    const paused = await vault.accessToken('usr_alice', 'tp').catch((e: unknown) => e);
    expect(paused).toBeInstanceOf(VaultProviderError);
    expect(paused).toMatchObject({ error: 'invalid_client' });
    expect(x.calls).toEqual(['refresh_token']);
  });
});
