/**
 * CO-1 at grant creation, for the login session: the grant records the session it was authorized
 * in (grants.session_id_hash), and a sign-out or session revocation revokes those grants. One that
 * commits while the authorization completes must not leave a live grant under the ended session:
 * completeAuthorization re-reads the session in its transaction (`for share` on PostgreSQL) and
 * answers access_denied (RFC 6749 §4.1.2.1) when it is revoked or expired.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomToken, sha256 } from '../../src/crypto/hash.ts';
import { startTokenServer, type TokenServer } from '../token/fixtures.ts';
import { completeForAlice } from './complete-support.ts';
import type { Backend } from '../helpers/isolated-database.ts';

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`grant creation under an ended session (${backend})`, () => {
    let s: TokenServer;
    beforeAll(async () => {
      s = await startTokenServer({}, backend);
    });
    afterAll(async () => {
      await s?.close();
    });

    const complete = (sessionIdHash: string) => completeForAlice(s, { sessionIdHash });
    const underSession = async (idHash: string) => (await s.ctx.storage.grants.list({ userId: s.alice.id, includeRevoked: true })).filter((g) => g.sessionIdHash === idHash);

    async function newSession(o: { expiresIn?: number } = {}): Promise<string> {
      const idHash = sha256(randomToken());
      const t = s.ctx.now();
      await s.ctx.storage.sessions.create({ idHash, userId: s.alice.id, authTime: t, acr: '0', amr: ['pwd'], createdAt: t, expiresAt: t + (o.expiresIn ?? 3600), revokedAt: null });
      return idHash;
    }

    it('CO-1 / RFC 6749 §4.1.2.1: session live → code; revoked before the write → access_denied and no grant', async () => {
      const idHash = await newSession();
      expect(new URL(await complete(idHash)).searchParams.get('code')).toBeTruthy();
      await s.ctx.storage.sessions.revokeWithGrants(idHash, s.ctx.now(), 'signed out');
      const denied = new URL(await complete(idHash));
      expect(denied.searchParams.get('error')).toBe('access_denied');
      expect(denied.searchParams.get('code')).toBeNull();
      expect((await underSession(idHash)).map((g) => g.revokedAt !== null)).toEqual([true]); // only the first, revoked
    });

    it('CO-1 / RFC 6749 §4.1.2.1: an expired or unknown session → access_denied', async () => {
      const expired = await newSession({ expiresIn: -1 });
      expect(new URL(await complete(expired)).searchParams.get('error')).toBe('access_denied');
      expect(new URL(await complete(sha256('unknown'))).searchParams.get('error')).toBe('access_denied');
      expect(await underSession(expired)).toEqual([]);
    });
  });
}
