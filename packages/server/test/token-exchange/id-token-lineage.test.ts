/**
 * CO-1 (issue 3) for our own ID tokens as subject tokens (RFC 8693 §2.1, OIDC Core §2): an ID token
 * records the grant it came from (id_tokens, migration 0016), an exchange of it is a child of that
 * grant, so every revocation of the grant — refresh-token reuse, code replay, RFC 7009 of the
 * refresh token, sign-out, consent revocation — refuses the ID token and ends what was exchanged
 * from it; an ID-JAG from it is refused the same way, also when the revocation races its
 * signature. On SQLite and PostgreSQL.
 */
import { describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import type { Backend } from '../helpers/isolated-database.ts';
import { hookTransactions, interleaveOnce } from '../helpers/transaction-hooks.ts';
import { exchangeCode, introspect, postForm, refresh, type JsonResponse, type TokenServer } from '../token/fixtures.ts';
import { auth, duringNextSign, exchange, MCP, PARTNER_AS, TT, useExchangeServer } from './fixtures.ts';
import { login } from './id-token-login.ts';

function exchangeIdToken(server: TokenServer, idToken: string, form: Record<string, string> = { resource: MCP, scope: 'mcp:read' }): Promise<JsonResponse> {
  return exchange(server, { subject_token: idToken, subject_token_type: TT.idToken, ...form }, auth.host);
}

const ID_JAG = { requested_token_type: TT.idJag, audience: PARTNER_AS, scope: 'crm:read' };
const GRANT_REVOKED = { error: 'invalid_request', error_description: 'The grant behind the subject_token has been revoked.' };

/** An exchange of the ID token, made while its grant was live. */
async function exchanged(server: TokenServer, idToken: string): Promise<string> {
  const res = await exchangeIdToken(server, idToken);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect((await introspect(server, res.body.access_token)).body.active).toBe(true);
  return res.body.access_token as string;
}

/** After its grant's revocation: the ID token buys nothing more, and what it bought earlier is inactive (RFC 7662 §2.2). */
async function expectRevokedLineage(server: TokenServer, idTokens: string[], earlier: string[]): Promise<void> {
  for (const idToken of idTokens) expect((await exchangeIdToken(server, idToken)).body).toMatchObject(GRANT_REVOKED);
  for (const token of earlier) expect((await introspect(server, token)).body).toEqual({ active: false });
}

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`CO-1: our ID token as subject_token rests on the grant it came from (${backend})`, () => {
    const h = useExchangeServer(backend);

    it('OIDC Core §2 / RFC 8693 §2.1: the ID token is recorded with its grant; the exchanged grant is its child and names the ID token', async () => {
      const l = await login(h.server);
      const jti = String(decodeJwt(l.idToken).jti);
      expect(await h.server.ctx.storage.idTokens.get(jti)).toMatchObject({ jti, grantId: l.grantId, clientId: 'host', userId: l.user.id });
      const token = await exchanged(h.server, l.idToken);
      const record = await h.server.ctx.storage.accessTokens.get(String(decodeJwt(token).jti));
      expect(await h.server.ctx.storage.grants.get(record!.grantId!)).toMatchObject({ parentGrantId: l.grantId, subjectTokenJti: jti, consentId: l.consentId });
    });

    it('RFC 8693 §2.2.1: an exchange of our ID token gets no refresh token, offline_access or not (a proof of login, not of access)', async () => {
      const l = await login(h.server);
      const res = await exchangeIdToken(h.server, l.idToken, { resource: MCP, scope: 'mcp:read offline_access' });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.refresh_token).toBeUndefined();
    });

    it('RFC 9700 §4.14.2: refresh token reuse revokes the family → both ID tokens refused, tokens exchanged from them inactive', async () => {
      const l = await login(h.server);
      const first = await exchanged(h.server, l.idToken);
      const rotated = await refresh(h.server, l.refreshToken, {}, auth.host);
      expect(rotated.status).toBe(200);
      const second = await exchanged(h.server, rotated.body.id_token); // the refreshed ID token names the same grant
      expect((await refresh(h.server, l.refreshToken, {}, auth.host)).body.error).toBe('invalid_grant'); // reuse
      await expectRevokedLineage(h.server, [l.idToken, rotated.body.id_token], [first, second]);
    });

    it('RFC 6749 §4.1.2: a replayed code revokes its grant → the ID token refused, the exchanged token inactive', async () => {
      const l = await login(h.server);
      const earlier = await exchanged(h.server, l.idToken);
      expect((await exchangeCode(h.server, l.code, {}, auth.host)).body.error).toBe('invalid_grant');
      await expectRevokedLineage(h.server, [l.idToken], [earlier]);
    });

    it('RFC 7009 §2.1: revoking the refresh token at /revoke revokes the grant → the ID token refused, the exchanged token inactive', async () => {
      const l = await login(h.server);
      const earlier = await exchanged(h.server, l.idToken);
      expect((await postForm(`${h.server.issuer}/revoke`, { token: l.refreshToken }, auth.host)).status).toBe(200);
      await expectRevokedLineage(h.server, [l.idToken], [earlier]);
    });

    it('CO-1: signing out (the session revoked with its grants) → the ID token refused, the exchanged token inactive', async () => {
      const l = await login(h.server);
      const earlier = await exchanged(h.server, l.idToken);
      const { revokedGrants } = await h.server.ctx.storage.sessions.revokeWithGrants(l.sessionIdHash, h.server.ctx.now(), 'signed out');
      expect(revokedGrants).toContain(l.grantId);
      await expectRevokedLineage(h.server, [l.idToken], [earlier]);
    });

    it('CO-1: revoking the consent revokes its grant → the ID token refused, the exchanged token inactive', async () => {
      const l = await login(h.server);
      const earlier = await exchanged(h.server, l.idToken);
      await h.server.ctx.storage.consents.revokeWithGrants(l.consentId, h.server.ctx.now(), 'consent revoked by its user');
      await expectRevokedLineage(h.server, [l.idToken], [earlier]);
    });

    it('CO-1 / RFC 7009 §2.1: the ID token\'s grant revoked while the exchange is signed → refused, no grant written under it', async () => {
      const l = await login(h.server);
      const res = await duringNextSign(
        h.server,
        () => h.server.ctx.storage.grants.revokeTree(l.grantId, h.server.ctx.now(), 'revoked by an administrator'),
        () => exchangeIdToken(h.server, l.idToken),
      );
      expect(res.body).toMatchObject(GRANT_REVOKED);
      expect(await h.server.ctx.storage.grants.list({ userId: l.user.id, includeRevoked: true })).toHaveLength(1); // the login's own grant only
    });

    it('draft-ietf-oauth-identity-assertion-authz-grant §4.3: an ID-JAG from our ID token after its consent was revoked → refused', async () => {
      const l = await login(h.server);
      expect((await exchangeIdToken(h.server, l.idToken, ID_JAG)).status).toBe(200);
      await h.server.ctx.storage.consents.revokeWithGrants(l.consentId, h.server.ctx.now(), 'consent revoked by its user');
      expect((await exchangeIdToken(h.server, l.idToken, ID_JAG)).body).toMatchObject(GRANT_REVOKED);
    });

    it('draft-ietf-oauth-identity-assertion-authz-grant §4.3: the ID token\'s grant revoked while the ID-JAG is signed → refused, no issuance audited', async () => {
      const l = await login(h.server);
      const res = await duringNextSign(
        h.server,
        () => h.server.ctx.storage.sessions.revokeWithGrants(l.sessionIdHash, h.server.ctx.now(), 'signed out'),
        () => exchangeIdToken(h.server, l.idToken, ID_JAG),
      );
      expect(res.body).toMatchObject(GRANT_REVOKED);
      const issued = await h.server.ctx.storage.audit.list({ event: 'token_exchanged', userId: l.user.id });
      expect(issued).toEqual([]);
    });

    it('CO-1: the consent revoked while the exchange holds the ID token\'s grant → no deadlock (consent before grants, as the revocation), nothing derived left live', async () => {
      const l = await login(h.server); // the grant rests on the consent (consent_id), as every login's
      const { ctx } = h.server;
      // Right after the issuing transaction locks the ID token's grant ancestry, the consent is
      // revoked from outside it. PostgreSQL: the exchange already holds the consent `for share`, so
      // the revocation's update waits for its commit (interleaveOnce gives up waiting after 500 ms)
      // and then revokes what it wrote; taken the other way round the two locks cross (40P01).
      const race = interleaveOnce(() => ctx.storage.consents.revokeWithGrants(l.consentId, ctx.now(), 'consent revoked by its user'));
      const undo = hookTransactions(ctx.storage, (tx) => ({
        grants: { ...tx.grants, lockAncestry: (id) => (id === l.grantId ? race.after(tx.grants.lockAncestry(id)) : tx.grants.lockAncestry(id)) },
      }));
      let res: JsonResponse;
      try {
        res = await exchangeIdToken(h.server, l.idToken);
        expect(await race.concurrent).toMatchObject({ revoked: true, revokedGrants: expect.arrayContaining([l.grantId]) });
      } finally {
        undo();
      }
      if (res.status === 200) expect((await introspect(h.server, res.body.access_token)).body).toEqual({ active: false });
      else expect(res.body).toMatchObject({ error: 'invalid_request' });
      expect((await ctx.storage.consents.get(l.consentId))?.revokedAt).not.toBeNull();
      expect(await ctx.storage.grants.list({ userId: l.user.id })).toEqual([]); // live ones only: none
      await expectRevokedLineage(h.server, [l.idToken], []);
    });

    it('RFC 8693 §2.2.2: an ID token of ours with no record (none signed before migration 0016 has a jti) → invalid_request', async () => {
      const l = await login(h.server);
      const now = h.server.ctx.now();
      const unrecorded = await h.server.ctx.keys.sign({ iss: h.server.issuer, sub: l.user.id, aud: 'host', azp: 'host', iat: now, exp: now + 300 }, { typ: 'JWT' });
      expect((await exchangeIdToken(h.server, unrecorded)).body).toMatchObject({ error: 'invalid_request', error_description: 'The subject_token is not an ID token this server recorded.' });
    });
  });
}
