/**
 * Grant revocation (RFC 7009 §2.1: revoking a grant invalidates the tokens issued under it;
 * RFC 9700 §4.14.2: reuse revokes the whole family) and transactions that never half-write.
 */
import { describe, expect, it } from 'vitest';
import { BACKENDS, accessToken, code, consent, grant, refreshToken, useStorage, type StorageHandle } from './fixtures.ts';

/** root ─ child ─ grandchild, root ─ sibling; plus an unrelated grant. Each has one refresh and one access token. */
async function seedTree(h: StorageHandle): Promise<void> {
  const tree: [string, string | null][] = [
    ['grt_root', null],
    ['grt_child', 'grt_root'],
    ['grt_grandchild', 'grt_child'],
    ['grt_sibling', 'grt_root'],
    ['grt_unrelated', null],
  ];
  for (const [id, parent] of tree) {
    await h.storage.grants.create(grant({ id, parentGrantId: parent, agentId: parent ? 'agent-1' : null }));
    await h.storage.refreshTokens.create(refreshToken({ tokenHash: `rt-${id}`, id: `rt_${id}`, grantId: id }));
    await h.storage.accessTokens.create(accessToken({ jti: `at-${id}`, grantId: id }));
  }
}

describe.each(BACKENDS)('storage contract (%s): revocation and transactions', (backend) => {
  const h = useStorage(backend);

  async function tokensRevoked(grantId: string): Promise<[boolean, boolean]> {
    const rt = await h.storage.refreshTokens.get(`rt-${grantId}`);
    const at = await h.storage.accessTokens.get(`at-${grantId}`);
    return [rt?.revokedAt !== null, at?.revokedAt !== null];
  }

  describe('grant records', () => {
    it('round-trips JSON and null fields, and lists by user and client, live only unless asked', async () => {
      const g = grant();
      await h.storage.grants.create(g);
      await h.storage.grants.create(grant({ id: 'grt_cc', userId: null, clientId: 'client-2', authorizationDetails: null, resources: [], createdAt: 1_700_000_001 }));
      await h.storage.grants.create(grant({ id: 'grt_old', revokedAt: 5, revokedReason: 'user', createdAt: 1_700_000_002 }));
      expect(await h.storage.grants.get('grt_root')).toEqual(g);
      expect(await h.storage.grants.get('grt_none')).toBeNull();
      expect((await h.storage.grants.list({})).map((x) => x.id)).toEqual(['grt_root', 'grt_cc']);
      expect((await h.storage.grants.list({ userId: 'usr_alice', includeRevoked: true })).map((x) => x.id)).toEqual(['grt_root', 'grt_old']);
      expect((await h.storage.grants.list({ clientId: 'client-2' }))[0]?.userId).toBeNull();
      expect((await h.storage.grants.list({ includeRevoked: true, limit: 1, offset: 2 })).map((x) => x.id)).toEqual(['grt_old']);
    });
  });

  describe('RFC 7009 §2.1 revoking a grant revokes everything derived from it', () => {
    it('revokeTree over three levels revokes descendants and all their tokens, nothing else', async () => {
      await seedTree(h);
      const revoked = await h.storage.grants.revokeTree('grt_root', 900, 'refresh_token_reuse');
      expect(revoked.sort()).toEqual(['grt_child', 'grt_grandchild', 'grt_root', 'grt_sibling']);
      for (const id of revoked) {
        expect(await h.storage.grants.get(id)).toMatchObject({ revokedAt: 900, revokedReason: 'refresh_token_reuse' });
        expect(await tokensRevoked(id)).toEqual([true, true]);
      }
      expect((await h.storage.accessTokens.get('at-grt_grandchild'))?.revokedAt).toBe(900);
      expect((await h.storage.grants.get('grt_unrelated'))?.revokedAt).toBeNull();
      expect(await tokensRevoked('grt_unrelated')).toEqual([false, false]);
    });

    it('revoking a middle grant leaves its ancestors and siblings alone', async () => {
      await seedTree(h);
      expect((await h.storage.grants.revokeTree('grt_child', 900, 'admin')).sort()).toEqual(['grt_child', 'grt_grandchild']);
      expect(await tokensRevoked('grt_root')).toEqual([false, false]);
      expect(await tokensRevoked('grt_sibling')).toEqual([false, false]);
      expect(await tokensRevoked('grt_grandchild')).toEqual([true, true]);
    });

    it('returns only grants it revoked; earlier revocations keep their time and reason; unknown ids revoke nothing', async () => {
      await seedTree(h);
      await h.storage.grants.revokeTree('grt_child', 800, 'first');
      const revoked = await h.storage.grants.revokeTree('grt_root', 900, 'second');
      expect(revoked.sort()).toEqual(['grt_root', 'grt_sibling']);
      expect(await h.storage.grants.get('grt_grandchild')).toMatchObject({ revokedAt: 800, revokedReason: 'first' });
      expect((await h.storage.accessTokens.get('at-grt_grandchild'))?.revokedAt).toBe(800);
      expect(await h.storage.grants.revokeTree('grt_root', 1000, 'third')).toEqual([]);
      expect(await h.storage.grants.revokeTree('grt_none', 1000, 'x')).toEqual([]);
    });
  });

  describe('transactions never half-write', () => {
    it('a throw rolls back every write of the callback, including nested transactions and audit rows', async () => {
      const failure = new Error('boom');
      await expect(
        h.storage.transaction(async (tx) => {
          await tx.grants.create(grant());
          await tx.accessTokens.create(accessToken());
          await tx.audit.append({ event: 'token.issued', result: 'success' }, 100);
          await tx.transaction(async (inner) => {
            await inner.refreshTokens.create(refreshToken());
          });
          await tx.grants.revokeTree('grt_root', 5, 'x');
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(await h.storage.grants.get('grt_root')).toBeNull();
      expect(await h.storage.accessTokens.get('at_1')).toBeNull();
      expect(await h.storage.refreshTokens.get('rt-hash-1')).toBeNull();
      expect(await h.storage.audit.list({})).toEqual([]);
    });

    it('commits every write and returns the callback result; reads inside see earlier writes', async () => {
      const result = await h.storage.transaction(async (tx) => {
        await tx.grants.create(grant());
        await tx.codes.create(code());
        const consumed = await tx.codes.consume('code-hash-1', 10);
        return { seen: (await tx.grants.get('grt_root'))?.id, first: consumed?.first, kind: tx.kind };
      });
      expect(result).toEqual({ seen: 'grt_root', first: true, kind: backend });
      expect(await h.storage.grants.get('grt_root')).not.toBeNull();
      expect((await h.storage.codes.consume('code-hash-1', 20))?.first).toBe(false);
    });
  });
});
