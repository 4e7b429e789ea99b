/**
 * Unlinking races (review M1/M2): what the provider still honours after an unlink or a connection
 * deletion that ran while a refresh or a link was in flight. The vault must revoke the tokens that
 * are stored when it revokes (or that it obtained and did not store), never only older ones; and a
 * missing KEK must not make it forget tokens it could still revoke once the key is back.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { user, useStorage } from '../storage/fixtures.ts';
import { LocalKeyEncryptionKeys } from '../../src/vault/kek.ts';
import { TokenVault } from '../../src/vault/service.ts';
import { VaultConflictError, VaultEntryUnusableError } from '../../src/vault/errors.ts';
import { open } from '../../src/vault/envelope.ts';
import { decodePayload } from '../../src/vault/payload.ts';
import type { Fetch } from '../../src/vault/provider-client.ts';
import { authorize } from './support/third-party-provider.ts';
import { createGithubLike, createStaticOpenAi, directRefresh, harness, linkThroughProvider, userinfo, useThirdPartyProvider, type Harness } from './support/vault-fixture.ts';

/** Provider calls seen by the vault, with token responses kept, and a gate that can hold one kind of call after the provider answered. */
function recordingVault(h: ReturnType<typeof useStorage>, x: Harness) {
  const seen = { revoked: [] as string[], issued: [] as Array<{ grant: string; access_token: string; refresh_token?: string }> };
  let hold: { match: (body: URLSearchParams) => boolean; reached: () => void; gate: Promise<void> } | null = null;
  const fetch = (async (url, init) => {
    if (init.body.has('token_type_hint')) seen.revoked.push(init.body.get('token') ?? '');
    const res = await x.fetch(url, init);
    const grant = init.body.get('grant_type');
    if (grant !== null && res.status === 200) seen.issued.push({ grant, ...((await res.clone().json()) as { access_token: string; refresh_token?: string }) });
    const held = hold;
    if (held?.match(init.body)) {
      hold = null;
      held.reached();
      await held.gate;
    }
    return res;
  }) as Fetch;
  /** Holds the next matching call after the provider answered it; resolves when it is held, with the function that lets it go. */
  const holdNext = (match: (body: URLSearchParams) => boolean): Promise<() => void> => {
    let letGo!: () => void;
    const gate = new Promise<void>((resolve) => (letGo = resolve));
    return new Promise((reached) => (hold = { match, gate, reached: () => reached(letGo) }));
  };
  const vault = new TokenVault({ storage: h.storage, keys: x.keys, fetch, now: () => x.clock });
  return { vault, seen, holdNext };
}

const isRefresh = (b: URLSearchParams) => b.get('grant_type') === 'refresh_token';
const isRevocation = (b: URLSearchParams) => b.has('token_type_hint');

describe('vault unlink races (real provider on loopback)', () => {
  const h = useStorage('sqlite');
  const tp = useThirdPartyProvider();

  async function storedTokens(x: Harness, userId: string): Promise<{ access: string; refresh: string }> {
    const e = await h.storage.vault.entries.getFor(userId, 'tp');
    const p = decodePayload(await open(x.keys, { kind: 'entry', entryId: e!.id, userId, connectionId: 'tp' }, e!.sealed));
    if (p.kind !== 'oauth') throw new Error('not an OAuth entry');
    return { access: p.access_token, refresh: p.refresh_token! };
  }

  it('a refresh that lost to an unlink revokes the tokens the provider just issued', async () => {
    tp.provider.setRotation(true);
    const x = harness(h, tp.provider);
    const { vault, seen, holdNext } = recordingVault(h, x);
    await createGithubLike(vault, tp.provider);
    await linkThroughProvider(vault, tp.provider, 'usr_alice', 'alice');
    x.clock += 3600;
    const held = holdNext(isRefresh);
    const refreshing = vault.accessToken('usr_alice', 'tp').catch((e: unknown) => e);
    const letGo = await held; // the provider has rotated the refresh token already
    const fresh = seen.issued.at(-1)!;
    const unlinking = vault.unlink('usr_alice', 'tp');
    letGo();
    expect(await unlinking).toEqual({ providerRevocation: 'revoked' });
    expect(await refreshing).toBeInstanceOf(VaultEntryUnusableError);
    expect(seen.revoked).toEqual(expect.arrayContaining([fresh.refresh_token, fresh.access_token]));
    expect((await directRefresh(tp.provider, fresh.refresh_token!)).error).toBe('invalid_grant');
    expect((await userinfo(tp.provider, fresh.access_token)).status).toBe(401);
    expect(await vault.listForUser('usr_alice')).toEqual([]);
  });

  it('deleting a connection stops every entry at once and revokes the tokens stored when each is reached', async () => {
    tp.provider.setRotation(true);
    const x = harness(h, tp.provider);
    const { vault, seen, holdNext } = recordingVault(h, x);
    await createGithubLike(vault, tp.provider);
    await linkThroughProvider(vault, tp.provider, 'usr_alice', 'alice');
    await linkThroughProvider(vault, tp.provider, 'usr_bob', 'bob');
    const held = holdNext(isRevocation);
    const deleting = vault.deleteConnection('tp');
    const letGo = await held; // alice's revocation is in flight; bob's entry is not reached yet
    x.clock += 3600;
    await expect(vault.accessToken('usr_bob', 'tp')).rejects.toBeInstanceOf(VaultEntryUnusableError);
    expect(seen.issued.filter((t) => t.grant === 'refresh_token')).toEqual([]);
    const bobAtDelete = await storedTokens(x, 'usr_bob');
    letGo();
    expect(await deleting).toEqual({ deleted: true, unlinked: 2, revocationFailed: 0, failedEntryIds: [] });
    expect(seen.revoked).toEqual(expect.arrayContaining([bobAtDelete.refresh, bobAtDelete.access]));
    expect((await directRefresh(tp.provider, bobAtDelete.refresh)).error).toBe('invalid_grant');
    expect((await userinfo(tp.provider, bobAtDelete.access)).status).toBe(401);
  });

  it('a refresh in flight when its connection is deleted has its new tokens revoked', async () => {
    tp.provider.setRotation(true);
    const x = harness(h, tp.provider);
    const { vault, seen, holdNext } = recordingVault(h, x);
    await createGithubLike(vault, tp.provider);
    await linkThroughProvider(vault, tp.provider, 'usr_bob', 'bob');
    x.clock += 3600;
    const heldRefresh = holdNext(isRefresh);
    const refreshing = vault.accessToken('usr_bob', 'tp').catch((e: unknown) => e);
    const letRefreshGo = await heldRefresh;
    const fresh = seen.issued.at(-1)!;
    const deleting = vault.deleteConnection('tp');
    letRefreshGo();
    expect(await deleting).toMatchObject({ deleted: true, unlinked: 1 });
    expect(await refreshing).toBeInstanceOf(VaultEntryUnusableError);
    expect(seen.revoked).toEqual(expect.arrayContaining([fresh.refresh_token, fresh.access_token]));
    expect((await directRefresh(tp.provider, fresh.refresh_token!)).error).toBe('invalid_grant');
    expect((await userinfo(tp.provider, fresh.access_token)).status).toBe(401);
  });

  it('a link callback that lands after an unlink began revokes the tokens it obtained', async () => {
    const x = harness(h, tp.provider);
    const { vault, seen } = recordingVault(h, x);
    await createGithubLike(vault, tp.provider);
    await linkThroughProvider(vault, tp.provider, 'usr_alice', 'alice');
    const { authorizationUrl, pending } = await vault.beginLink('usr_alice', 'tp', tp.provider.redirectUri);
    x.failRevoke = true; // the unlink cannot reach the provider: the entry stays, revoked
    expect(await vault.unlink('usr_alice', 'tp')).toEqual({ providerRevocation: 'failed' });
    x.failRevoke = false;
    const params = await authorize(authorizationUrl, 'alice');
    await expect(vault.completeLink('usr_alice', pending, { state: params.get('state'), code: params.get('code') })).rejects.toBeInstanceOf(VaultConflictError);
    const dropped = seen.issued.at(-1)!;
    expect(dropped.grant).toBe('authorization_code');
    expect((await userinfo(tp.provider, dropped.access_token)).status).toBe(401);
    expect((await directRefresh(tp.provider, dropped.refresh_token!)).error).toBe('invalid_grant');
  });

  it('a link callback or a key stored for a user disabled meanwhile stores nothing and revokes what it obtained', async () => {
    const x = harness(h, tp.provider);
    const { vault, seen } = recordingVault(h, x);
    await createGithubLike(vault, tp.provider);
    await createStaticOpenAi(vault);
    const carol = user({ id: 'usr_carol', email: 'carol@example.com' });
    await h.storage.users.create(carol);
    const { authorizationUrl, pending } = await vault.beginLink(carol.id, 'tp', tp.provider.redirectUri);
    const params = await authorize(authorizationUrl, 'carol');
    // Deprovisioning lands while the user is at the provider: nothing of theirs is linked yet.
    await h.storage.users.update({ ...carol, disabled: true });
    expect(await vault.unlinkAllForUser(carol.id)).toEqual({ unlinked: 0, revocationFailed: 0 });
    await expect(vault.completeLink(carol.id, pending, { state: params.get('state'), code: params.get('code') })).rejects.toBeInstanceOf(VaultConflictError);
    await expect(vault.storeStaticKey(carol.id, 'openai', 'sk-carol')).rejects.toBeInstanceOf(VaultConflictError);
    expect(await vault.listForUser(carol.id)).toEqual([]);
    const dropped = seen.issued.at(-1)!;
    expect((await userinfo(tp.provider, dropped.access_token)).status).toBe(401);
  });

  it('unlinking without the entry KEK keeps the entry revoked, and unlinking again with the key revokes at the provider', async () => {
    const x = harness(h, tp.provider);
    const withKey = x.vault();
    await createGithubLike(withKey, tp.provider);
    await linkThroughProvider(withKey, tp.provider, 'usr_alice', 'alice');
    const { accessToken } = await withKey.accessToken('usr_alice', 'tp');
    // A rotation step done wrong: a new current key, the old one not kept.
    const withoutKey = x.vault(new LocalKeyEncryptionKeys({ id: 'k2', key: randomBytes(32) }));
    expect(await withoutKey.unlink('usr_alice', 'tp')).toEqual({ providerRevocation: 'failed' });
    expect(await withoutKey.listForUser('usr_alice')).toMatchObject([{ status: 'revoked', lastError: 'revocation_failed:ERR_VAULT_KEK_UNKNOWN' }]);
    expect((await userinfo(tp.provider, accessToken)).status).toBe(200);
    expect(await withKey.unlink('usr_alice', 'tp')).toEqual({ providerRevocation: 'revoked' });
    expect((await userinfo(tp.provider, accessToken)).status).toBe(401);
    expect(await withKey.listForUser('usr_alice')).toEqual([]);
  });
});
