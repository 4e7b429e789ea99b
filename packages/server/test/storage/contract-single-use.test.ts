/**
 * Single-use transitions are atomic compare-and-set (storage.ts): codes, refresh tokens, PAR
 * request URIs, interactions and replay-cache entries. Concurrency is exercised through one
 * Storage and, as a second server instance would, through a second Storage on the same database.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openStorage } from '../../src/storage/open.ts';
import type { Storage } from '../../src/storage/storage.ts';
import { BACKENDS, code, refreshToken, useStorage } from './fixtures.ts';

describe.each(BACKENDS)('storage contract (%s): single use', (backend) => {
  const h = useStorage(backend);
  const extra: Storage[] = [];
  afterEach(async () => {
    await Promise.all(extra.splice(0).map((s) => s.close()));
  });
  async function secondInstance(): Promise<Storage> {
    const s = await openStorage(h.url);
    extra.push(s);
    return s;
  }

  describe('RFC 6749 §4.1.2 authorization codes are single use', () => {
    it('the first consume wins; a replay gets the record with first=false; unknown codes are null', async () => {
      const c = code({ authorizationDetails: [{ type: 'files', locations: ['https://mcp.example/'] }] });
      await h.storage.codes.create(c);
      expect(await h.storage.codes.consume(c.codeHash, 1_700_000_010)).toEqual({ record: { ...c, consumedAt: 1_700_000_010 }, first: true });
      expect(await h.storage.codes.consume(c.codeHash, 1_700_000_020)).toEqual({ record: { ...c, consumedAt: 1_700_000_010 }, first: false });
      expect(await h.storage.codes.consume('unknown', 1_700_000_020)).toBeNull();
    });

    it('concurrent consumes, from one instance and from a second one, yield exactly one first=true', async () => {
      await h.storage.codes.create(code());
      const other = await secondInstance();
      const results = await Promise.all([
        ...Array.from({ length: 4 }, () => h.storage.codes.consume('code-hash-1', 1_700_000_010)),
        ...Array.from({ length: 4 }, () => other.codes.consume('code-hash-1', 1_700_000_010)),
      ]);
      expect(results.filter((r) => r?.first === true)).toHaveLength(1);
      expect(results.every((r) => r?.record.consumedAt === 1_700_000_010)).toBe(true);
    });
  });

  describe('RFC 9700 §4.14.2 refresh token rotation and reuse detection', () => {
    it('round-trips, rotates once, reports reuse with first=false, and revokes once', async () => {
      const rt = refreshToken({ authorizationDetails: [{ type: 'files' }], acr: 'urn:mandate:acr:mfa', nonce: 'n1' });
      await h.storage.refreshTokens.create(rt);
      expect(await h.storage.refreshTokens.get(rt.tokenHash)).toEqual(rt);
      expect(await h.storage.refreshTokens.get('unknown')).toBeNull();
      expect(await h.storage.refreshTokens.rotate(rt.tokenHash, 500)).toEqual({ record: { ...rt, rotatedAt: 500 }, first: true });
      expect(await h.storage.refreshTokens.rotate(rt.tokenHash, 600)).toEqual({ record: { ...rt, rotatedAt: 500 }, first: false });
      expect(await h.storage.refreshTokens.rotate('unknown', 600)).toBeNull();
      expect(await h.storage.refreshTokens.revoke(rt.tokenHash, 700)).toBe(true);
      expect(await h.storage.refreshTokens.revoke(rt.tokenHash, 800)).toBe(false);
      expect((await h.storage.refreshTokens.get(rt.tokenHash))?.revokedAt).toBe(700);
    });

    it('concurrent rotations of one token yield exactly one first=true', async () => {
      await h.storage.refreshTokens.create(refreshToken({ userId: null, authTime: null, dpopJkt: null, amr: [] }));
      const other = await secondInstance();
      const results = await Promise.all([
        ...Array.from({ length: 4 }, () => h.storage.refreshTokens.rotate('rt-hash-1', 900)),
        ...Array.from({ length: 4 }, () => other.refreshTokens.rotate('rt-hash-1', 900)),
      ]);
      expect(results.filter((r) => r?.first === true)).toHaveLength(1);
      expect(results[0]?.record.userId).toBeNull();
    });
  });

  describe('RFC 9126 §4 pushed authorization requests are used once', () => {
    const par = { id: 'req1', clientId: 'client-1', params: { scope: 'openid', resource: ['https://a/', 'https://b/'] }, dpopJkt: 'jkt', createdAt: 100, expiresAt: 160, consumedAt: null };

    it('consumes once, then null; absent is null', async () => {
      await h.storage.par.create(par);
      expect(await h.storage.par.consume('req1', 'client-1', 159)).toEqual({ ...par, consumedAt: 159 });
      expect(await h.storage.par.consume('req1', 'client-1', 159)).toBeNull();
      expect(await h.storage.par.consume('nope', 'client-1', 100)).toBeNull();
    });

    it('another client gets null and leaves the request unconsumed for the client that pushed it', async () => {
      await h.storage.par.create(par);
      expect(await h.storage.par.consume('req1', 'client-2', 120)).toBeNull();
      expect(await h.storage.par.consume('req1', 'client-1', 121)).toEqual({ ...par, consumedAt: 121 });
    });

    it('an expired request (expiresAt <= now) is refused and stays unused', async () => {
      await h.storage.par.create(par);
      expect(await h.storage.par.consume('req1', 'client-1', 160)).toBeNull();
      await h.storage.par.create({ ...par, id: 'req2', dpopJkt: null });
      const results = await Promise.all(Array.from({ length: 6 }, () => h.storage.par.consume('req2', 'client-1', 120)));
      expect(results.filter((r) => r !== null)).toEqual([{ ...par, id: 'req2', dpopJkt: null, consumedAt: 120 }]);
    });
  });

  describe('authorization interactions are used once', () => {
    const interaction = { id: 'int1', clientId: 'client-1', params: { redirect_uri: 'https://app.example/cb', state: 'xyz' }, sessionIdHash: null, createdAt: 100, expiresAt: 700, consumedAt: null };

    it('binds a session, consumes once, and refuses expired, used or absent interactions', async () => {
      await h.storage.interactions.create(interaction);
      expect(await h.storage.interactions.get('int1')).toEqual(interaction);
      expect(await h.storage.interactions.get('nope')).toBeNull();
      expect(await h.storage.interactions.setSession('int1', 'sess-hash')).toBe(true);
      expect(await h.storage.interactions.setSession('nope', 'sess-hash')).toBe(false);
      expect(await h.storage.interactions.consume('int1', 700)).toBeNull();
      expect(await h.storage.interactions.consume('int1', 699)).toEqual({ ...interaction, sessionIdHash: 'sess-hash', consumedAt: 699 });
      expect(await h.storage.interactions.consume('int1', 699)).toBeNull();
      expect(await h.storage.interactions.setSession('int1', 'other')).toBe(false);
      expect(await h.storage.interactions.consume('nope', 100)).toBeNull();
    });
  });

  describe('RFC 7523 §3 / RFC 9449 §11.1 jti replay cache', () => {
    it('refuses a replayed key until it expires, then accepts it again; namespaces are separate', async () => {
      expect(await h.storage.replay.remember('dpop', 'jti-1', 200, 100)).toBe(true);
      expect(await h.storage.replay.remember('dpop', 'jti-1', 300, 150)).toBe(false);
      expect(await h.storage.replay.remember('client_assertion', 'jti-1', 300, 150)).toBe(true);
      expect(await h.storage.replay.remember('dpop', 'jti-1', 400, 199)).toBe(false);
      expect(await h.storage.replay.remember('dpop', 'jti-1', 400, 200)).toBe(true);
      expect(await h.storage.replay.remember('dpop', 'jti-1', 500, 300)).toBe(false);
    });

    it('concurrent uses of one jti from two instances: exactly one is accepted', async () => {
      const other = await secondInstance();
      const results = await Promise.all([
        ...Array.from({ length: 4 }, () => h.storage.replay.remember('dpop', 'race', 200, 100)),
        ...Array.from({ length: 4 }, () => other.replay.remember('dpop', 'race', 200, 100)),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('sweeps expired keys without disturbing live ones', async () => {
      expect(await h.storage.replay.remember('dpop', 'old', 50, 10)).toBe(true);
      expect(await h.storage.replay.remember('dpop', 'live', 5_000, 10)).toBe(true);
      expect(await h.storage.replay.remember('dpop', 'trigger', 5_000, 1_000)).toBe(true);
      const keys = await h.raw('select key from replay_cache order by key');
      expect(keys.map((r) => r.key)).toEqual(['live', 'trigger']);
      expect(await h.storage.replay.remember('dpop', 'live', 5_000, 1_001)).toBe(false);
      expect(await h.storage.replay.remember('dpop', 'old', 2_000, 1_001)).toBe(true);
    });
  });
});
