/**
 * When a refresh failure needs the user (review L1): only invalid_grant marks the entry
 * `refresh_failed`; a refusal of the client (an admin rotating the secret) or a rate limit keeps it
 * `ok` and is retried. And a provider issuing very short-lived tokens is not refreshed on every release.
 */
import { describe, expect, it } from 'vitest';
import { useStorage } from '../storage/fixtures.ts';
import { isFresh } from '../../src/vault/refresh.ts';
import { VaultProviderError } from '../../src/vault/errors.ts';
import { CLIENT_SECRET } from './support/third-party-provider.ts';
import { createGithubLike, harness, linkThroughProvider, userinfo, useThirdPartyProvider } from './support/vault-fixture.ts';

describe('vault refresh policy (real provider on loopback)', () => {
  const h = useStorage('sqlite');
  const tp = useThirdPartyProvider();

  it('invalid_client during a client secret rotation keeps the entry ok with the code, and the next use after the fix refreshes', async () => {
    const x = harness(h, tp.provider);
    const vault = x.vault();
    await createGithubLike(vault, tp.provider);
    await linkThroughProvider(vault, tp.provider, 'usr_alice', 'alice');
    await vault.updateConnection('tp', { clientSecret: 'not-the-secret-yet' });
    x.clock += 3600;
    const err = await vault.accessToken('usr_alice', 'tp').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VaultProviderError);
    expect((err as VaultProviderError).error).toBe('invalid_client');
    expect(await vault.listForUser('usr_alice')).toMatchObject([{ status: 'ok', lastError: 'invalid_client' }]);
    await vault.updateConnection('tp', { clientSecret: CLIENT_SECRET });
    const released = await vault.accessToken('usr_alice', 'tp');
    expect((await userinfo(tp.provider, released.accessToken)).status).toBe(200);
    expect(await vault.listForUser('usr_alice')).toMatchObject([{ status: 'ok', lastError: null }]);
  });

  it('caps the refresh skew at half the token lifetime', () => {
    const now = 1_000_000;
    // A 60-second token obtained 20 s ago: 40 s left, more than half its lifetime's 30 s → fresh, not refreshed.
    expect(isFresh({ kind: 'oauth', access_token: 'a', refresh_token: 'r', expires_at: now + 40, scope: null, obtained_at: now - 20 }, now, 60)).toBe(true);
    expect(isFresh({ kind: 'oauth', access_token: 'a', refresh_token: 'r', expires_at: now + 20, scope: null, obtained_at: now - 40 }, now, 60)).toBe(false);
    // A long-lived token keeps the full skew; an entry stored without obtained_at too.
    expect(isFresh({ kind: 'oauth', access_token: 'a', refresh_token: 'r', expires_at: now + 50, scope: null, obtained_at: now - 3550 }, now, 60)).toBe(false);
    expect(isFresh({ kind: 'oauth', access_token: 'a', refresh_token: 'r', expires_at: now + 40, scope: null }, now, 60)).toBe(false);
  });
});
