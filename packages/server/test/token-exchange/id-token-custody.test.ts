/**
 * AU-2 chain of custody through our own ID tokens (admin API), on SQLite and PostgreSQL: a token
 * exchanged from our ID token walks back to the issuance that signed that ID token — the code
 * grant's token_issued, or token_refreshed after a refresh — which records it as `id_token_jti`,
 * also once the sweep has purged the token rows.
 */
import { describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import type { Backend } from '../helpers/isolated-database.ts';
import { admin, ADMIN_CLI, mintToken } from '../admin/support.ts';
import { refresh, type TokenServer } from '../token/fixtures.ts';
import { auth, exchange, EXCHANGE_CLIENTS, EXCHANGE_SCOPES, MCP, PARTNER_AS, TT, useExchangeServer } from './fixtures.ts';
import { login } from './id-token-login.ts';

/** The jti of what `form` bought with our ID token as subject (an access token or an ID-JAG). */
async function exchangedFrom(server: TokenServer, idToken: string, form: Record<string, string> = { resource: MCP, scope: 'mcp:read' }): Promise<string> {
  const res = await exchange(server, { subject_token: idToken, subject_token_type: TT.idToken, ...form }, auth.host);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return String(decodeJwt(res.body.access_token).jti);
}

const jtiOf = (token: string): string => String(decodeJwt(token).jti);
type Hop = { jti: string; subject_jti: string | null; revoked: boolean | null; event: { id: string; event: string; data: Record<string, unknown> } | null };

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`AU-2 chain of custody through our ID tokens (${backend})`, () => {
    const h = useExchangeServer(backend, {
      scopesSupported: [...EXCHANGE_SCOPES, 'mandate:admin'],
      clients: [...EXCHANGE_CLIENTS, { client_id: ADMIN_CLI.id, client_secret: ADMIN_CLI.secret, grant_types: ['client_credentials'], scope: 'mandate:admin' }],
    });

    async function custody(path: string): Promise<Hop[]> {
      const res = await admin(h.server.ts, (await mintToken(h.server.ts)).token, 'GET', path);
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      return res.json.hops;
    }

    it('an exchange of the code\'s ID token → the token_issued event that signed it (by token and by event), its grant\'s revocation shown', async () => {
      const l = await login(h.server);
      const idJti = jtiOf(l.idToken);
      const exchanged = await exchangedFrom(h.server, l.idToken);
      const hops = await custody(`/custody/tokens/${exchanged}`);
      expect(hops.map((hop) => hop.jti)).toEqual([exchanged, idJti]);
      expect(hops[0]).toMatchObject({ subject_jti: idJti, revoked: false, event: { event: 'token_exchanged', client_id: 'host', user_id: l.user.id, data: { jti: exchanged, subject_jti: idJti } } });
      expect(hops[1]).toMatchObject({
        subject_jti: null,
        revoked: false,
        event: { event: 'token_issued', client_id: 'host', user_id: l.user.id, data: { grant_type: 'authorization_code', grant_id: l.grantId, jti: jtiOf(l.accessToken), id_token_jti: idJti } },
      });
      expect((await custody(`/custody/audit-events/${hops[0]!.event!.id}`)).map((hop) => hop.jti)).toEqual([exchanged, idJti]);
      // The ID token's own custody: the issuance that signed it.
      expect(await custody(`/custody/tokens/${idJti}`)).toEqual([hops[1]]);
      await h.server.ctx.storage.grants.revokeTree(l.grantId, h.server.ctx.now(), 'consent withdrawn');
      expect((await custody(`/custody/tokens/${exchanged}`)).map((hop) => hop.revoked)).toEqual([true, true]);
    });

    it('an ID-JAG from the ID token walks back to the same token_issued event', async () => {
      const l = await login(h.server);
      const assertion = await exchangedFrom(h.server, l.idToken, { requested_token_type: TT.idJag, audience: PARTNER_AS, scope: 'crm:read' });
      const hops = await custody(`/custody/tokens/${assertion}`);
      expect(hops.map((hop) => [hop.jti, hop.event?.event])).toEqual([[assertion, 'token_exchanged'], [jtiOf(l.idToken), 'token_issued']]);
    });

    it('after a refresh: the refreshed ID token → its token_refreshed event, the first one still → token_issued; both found after the sweep', async () => {
      const l = await login(h.server);
      const rotated = await refresh(h.server, l.refreshToken, {}, auth.host);
      expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
      const fromFirst = await exchangedFrom(h.server, l.idToken);
      const fromRefreshed = await exchangedFrom(h.server, rotated.body.id_token);
      const expectChains = async (revoked: boolean | null) => {
        const refreshedHops = await custody(`/custody/tokens/${fromRefreshed}`);
        expect(refreshedHops.map((hop) => hop.jti)).toEqual([fromRefreshed, jtiOf(rotated.body.id_token)]);
        expect(refreshedHops[1]).toMatchObject({
          subject_jti: null,
          revoked,
          event: { event: 'token_refreshed', data: { grant_type: 'refresh_token', grant_id: l.grantId, jti: jtiOf(rotated.body.access_token), id_token_jti: jtiOf(rotated.body.id_token) } },
        });
        const firstHops = await custody(`/custody/tokens/${fromFirst}`);
        expect(firstHops.map((hop) => [hop.jti, hop.event?.event, hop.revoked])).toEqual([
          [fromFirst, 'token_exchanged', revoked],
          [jtiOf(l.idToken), 'token_issued', revoked],
        ]);
      };
      await expectChains(false);
      // Far enough ahead that every token row counts as expired: the audit log alone answers.
      const later = h.server.ctx.now() + 10 * 365 * 86_400;
      expect(await h.server.ctx.storage.accessTokens.purgeExpired(later, 10_000)).toBeGreaterThanOrEqual(4);
      expect(await h.server.ctx.storage.idTokens.purgeExpired(later, 10_000)).toBeGreaterThanOrEqual(2);
      expect(await h.server.ctx.storage.idTokens.get(jtiOf(l.idToken))).toBeNull();
      await expectChains(null);
    });
  });
}
