/**
 * Account linking against a real OAuth server on loopback (issue 5, VA-1): the code flow with
 * PKCE and state, tokens stored sealed, and every bad callback refused before a code is spent.
 */
import { describe, expect, it, vi } from 'vitest';
import { useStorage } from '../storage/fixtures.ts';
import { LinkCallbackError } from '../../src/vault/link.ts';
import { open } from '../../src/vault/envelope.ts';
import { decodePayload } from '../../src/vault/payload.ts';
import { authorize, CLIENT_SECRET } from './support/third-party-provider.ts';
import { createGithubLike, harness, linkThroughProvider, userinfo, useThirdPartyProvider } from './support/vault-fixture.ts';

describe('vault account linking (real provider on loopback)', () => {
  const h = useStorage('sqlite');
  const tp = useThirdPartyProvider();

  it('links through code + PKCE, stores only sealed tokens, and releases a working access token', async () => {
    const x = harness(h, tp.provider);
    const vault = x.vault();
    await createGithubLike(vault, tp.provider);
    const { authorizationUrl, pending } = await vault.beginLink('usr_alice', 'tp', tp.provider.redirectUri);
    const url = new URL(authorizationUrl);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('state')).toBe(pending.state);
    expect(authorizationUrl).not.toContain(pending.codeVerifier);

    const params = await authorize(authorizationUrl, 'alice');
    const entry = await vault.completeLink('usr_alice', pending, { state: params.get('state'), code: params.get('code') });
    expect(entry).toMatchObject({ userId: 'usr_alice', connectionId: 'tp', status: 'ok', lastError: null });
    expect(x.calls).toEqual(['authorization_code']);

    const released = await vault.accessToken('usr_alice', 'tp');
    expect(await userinfo(tp.provider, released.accessToken)).toEqual({ status: 200, sub: 'alice' });
    expect(released.expiresAt).toBe(x.clock + 3600);
    expect(released).not.toHaveProperty('refreshToken');

    // The database holds neither token nor the client secret in the clear.
    const stored = await h.storage.vault.entries.get(entry.id);
    const payload = decodePayload(await open(x.keys, { kind: 'entry', entryId: entry.id, userId: 'usr_alice', connectionId: 'tp' }, stored!.sealed));
    expect(payload.kind === 'oauth' && payload.refresh_token).toBeTruthy();
    const dump = JSON.stringify([await h.raw('select * from vault_entries'), await h.raw('select * from vault_connections')]);
    expect(dump).not.toContain(released.accessToken);
    expect(dump).not.toContain(payload.kind === 'oauth' ? payload.refresh_token : 'x');
    expect(dump).not.toContain(CLIENT_SECRET);
    expect((await vault.getConnection('tp'))?.hasClientSecret).toBe(true);
  });

  it('a second link of the same account replaces the first entry instead of adding one', async () => {
    const x = harness(h, tp.provider);
    const vault = x.vault();
    await createGithubLike(vault, tp.provider);
    await linkThroughProvider(vault, tp.provider, 'usr_alice', 'alice');
    const first = await vault.accessToken('usr_alice', 'tp');
    await linkThroughProvider(vault, tp.provider, 'usr_alice', 'alice-2');
    const entries = await vault.listForUser('usr_alice');
    expect(entries).toHaveLength(1);
    const second = await vault.accessToken('usr_alice', 'tp');
    expect(second.accessToken).not.toBe(first.accessToken);
    expect((await userinfo(tp.provider, second.accessToken)).sub).toBe('alice-2');
  });

  it('a forged callback (wrong state, another user, expired) is refused before the connection is read or its credential opened', async () => {
    const x = harness(h, tp.provider);
    const vault = x.vault();
    await createGithubLike(vault, tp.provider);
    const { pending } = await vault.beginLink('usr_alice', 'tp', tp.provider.redirectUri);
    const reads = vi.spyOn(h.storage.vault.connections, 'get');
    try {
      for (const [user, state, at] of [['usr_alice', 'forged', x.clock], ['usr_mallory', pending.state, x.clock], ['usr_alice', pending.state, pending.expiresAt + 1]] as const) {
        x.clock = at;
        await expect(vault.completeLink(user, pending, { state, code: 'c' })).rejects.toBeInstanceOf(LinkCallbackError);
      }
      expect(reads).not.toHaveBeenCalled();
    } finally {
      reads.mockRestore();
    }
  });

  it('refuses a wrong state, another user, an expired link and a provider error — spending no code and storing nothing', async () => {
    const x = harness(h, tp.provider);
    const vault = x.vault();
    await createGithubLike(vault, tp.provider);
    const { authorizationUrl, pending } = await vault.beginLink('usr_alice', 'tp', tp.provider.redirectUri);
    const params = await authorize(authorizationUrl, 'alice');
    const code = params.get('code');
    const attempts: [string, Parameters<typeof vault.completeLink>[2], number][] = [
      ['usr_alice', { state: 'forged', code }, x.clock],
      ['usr_alice', { state: null, code }, x.clock],
      ['usr_mallory', { state: pending.state, code }, x.clock],
      ['usr_alice', { state: pending.state, code }, pending.expiresAt + 1],
      ['usr_alice', { state: pending.state, code: null }, x.clock],
      ['usr_alice', { state: pending.state, error: 'access_denied' }, x.clock],
    ];
    for (const [user, cb, at] of attempts) {
      x.clock = at;
      const err = await vault.completeLink(user, pending, cb).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LinkCallbackError);
      expect(String((err as Error).message)).not.toContain(code);
    }
    expect((await vault.completeLink('usr_alice', pending, { state: pending.state, error: 'access_denied' }).catch((e: LinkCallbackError) => e.error))).toBe('access_denied');
    expect(x.calls).toEqual([]);
    expect(await vault.listForUser('usr_alice')).toEqual([]);
    expect(await vault.listForUser('usr_mallory')).toEqual([]);
  });

  it('reports a code the provider rejects as a provider error and stores nothing', async () => {
    const x = harness(h, tp.provider);
    const vault = x.vault();
    await createGithubLike(vault, tp.provider);
    const { pending } = await vault.beginLink('usr_alice', 'tp', tp.provider.redirectUri);
    const err = (await vault.completeLink('usr_alice', pending, { state: pending.state, code: 'not-a-code' }).catch((e: unknown) => e)) as LinkCallbackError;
    expect(err.code).toBe('ERR_VAULT_PROVIDER');
    expect(err.error).toBe('invalid_grant');
    expect(await vault.listForUser('usr_alice')).toEqual([]);
  });
});
