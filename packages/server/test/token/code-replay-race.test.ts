/**
 * RFC 6749 §4.1.2 / RFC 9700 §4.2.4: a replayed code revokes every token issued with it. The
 * first redemption consumes the code, signs outside a transaction, then commits; a replay arriving
 * in between ran revokeTree when no token existed yet. The replay is sent inside a wrapped
 * ctx.keys.sign, deterministically in that gap: the first redemption must then issue nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCode, exchangeCode, startTokenServer, type JsonResponse, type TokenServer } from './fixtures.ts';
import type { Backend } from '../helpers/isolated-database.ts';

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`authorization code replayed during the first redemption (${backend})`, () => {
    let s: TokenServer;
    beforeAll(async () => {
      s = await startTokenServer({}, backend);
    });
    afterAll(async () => {
      await s?.close();
    });

    it('RFC 6749 §4.1.2: the replay revokes the grant mid-issuance → the first redemption is refused, no token recorded', async () => {
      const issued = await createCode(s.ctx, { clientId: 'web-app', userId: s.alice.id });
      const keys = s.ctx.keys;
      const sign = keys.sign;
      let replay: JsonResponse | undefined;
      keys.sign = async (...args) => {
        if (replay === undefined) replay = await exchangeCode(s, issued);
        return sign.apply(keys, args);
      };
      let first: JsonResponse;
      try {
        first = await exchangeCode(s, issued);
      } finally {
        keys.sign = sign;
      }
      expect(replay?.body).toMatchObject({ error: 'invalid_grant' });
      expect(first.body).toMatchObject({ error: 'invalid_grant', error_description: 'The authorization grant has been revoked.' });
      expect((await s.ctx.storage.grants.get(issued.grantId))?.revokedAt).not.toBeNull();
      // The token rows and their audit event commit together (grants/shared/commit.ts): no event, no token.
      const audit = await s.ctx.storage.audit.list({ event: 'token_issued', limit: 1000 });
      expect(audit.filter((e) => JSON.stringify(e.data ?? {}).includes(issued.grantId))).toEqual([]);
    });
  });
}
