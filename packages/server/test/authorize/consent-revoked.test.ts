/**
 * CO-1 at grant creation: the consent a request was found covered by (or just given) may be
 * revoked before the grant and code are written. completeAuthorization re-reads it in its
 * transaction (`for share` on PostgreSQL) and then answers access_denied (RFC 6749 §4.1.2.1)
 * instead of writing a grant that the consent's revocation has already missed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../../src/crypto/hash.ts';
import { startTokenServer, type TokenServer } from '../token/fixtures.ts';
import { completeForAlice } from './complete-support.ts';
import type { Backend } from '../helpers/isolated-database.ts';

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`grant creation on a revoked consent (${backend})`, () => {
    let s: TokenServer;
    beforeAll(async () => {
      s = await startTokenServer({}, backend);
    });
    afterAll(async () => {
      await s?.close();
    });

    const complete = (consentId: string) => completeForAlice(s, { consentId });

    it('CO-1 / RFC 6749 §4.1.2.1: consent live → code; consent revoked before the write → access_denied and no grant', async () => {
      const id = randomId('cns');
      await s.ctx.storage.consents.create({ id, userId: s.alice.id, clientId: 'web-app', scope: 'openid mcp:read', resources: [], authorizationDetails: null, createdAt: s.ctx.now(), revokedAt: null });
      expect(new URL(await complete(id)).searchParams.get('code')).toBeTruthy();
      await s.ctx.storage.consents.revoke(id, s.ctx.now());
      const denied = new URL(await complete(id));
      expect(denied.searchParams.get('error')).toBe('access_denied');
      expect(denied.searchParams.get('code')).toBeNull();
      const onConsent = (await s.ctx.storage.grants.list({ userId: s.alice.id, includeRevoked: true })).filter((g) => g.consentId === id);
      expect(onConsent).toHaveLength(1); // only the first one
    });
  });
}
