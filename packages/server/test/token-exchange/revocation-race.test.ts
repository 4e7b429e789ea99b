/**
 * CO-1 / RFC 7009 §2.1 on token exchange: a revocation that commits while the exchanged token is
 * being signed (after the subject token was checked, before the issuing transaction) must not
 * leave a live derived grant under a revoked tree or consent. The revocation runs inside a wrapped
 * ctx.keys.sign, deterministically in that gap. Also: an exchange of our own ID token rests on the
 * consent that bounded it, so revoking that consent ends the exchanged token.
 */
import { describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { randomId } from '../../src/crypto/hash.ts';
import type { ServerContext } from '../../src/context.ts';
import { introspect } from '../token/fixtures.ts';
import { auth, createAgent, duringNextSign, exchange, FILES, MCP, TT, useExchangeServer, userToken } from './fixtures.ts';
import type { Backend } from '../helpers/isolated-database.ts';

/** As admin/grants.ts revokes a consent: the consent first, then its grants, in one transaction (consents.revokeWithGrants). */
async function revokeConsent(ctx: ServerContext, consentId: string): Promise<string[]> {
  return (await ctx.storage.consents.revokeWithGrants(consentId, ctx.now(), 'consent revoked by an administrator')).revokedGrants;
}

async function createConsent(ctx: ServerContext, userId: string, scope: string): Promise<string> {
  const id = randomId('cns');
  await ctx.storage.consents.create({ id, userId, clientId: 'host', scope, resources: [], authorizationDetails: null, createdAt: ctx.now(), revokedAt: null });
  return id;
}

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`token exchange racing revocation (${backend})`, () => {
    const h = useExchangeServer(backend);

    it('CO-1 / RFC 7009 §2.1: the root grant revoked while the exchanged token is signed → refused, no derived grant', async () => {
      const { server, agent } = h;
      const { token, grantId } = await userToken(server);
      const before = await server.ctx.storage.grants.list({ userId: server.alice.id, includeRevoked: true });
      const res = await duringNextSign(
        server,
        () => server.ctx.storage.grants.revokeTree(grantId, server.ctx.now(), 'revoked by an administrator'),
        async () => exchange(server, { subject_token: token, subject_token_type: TT.accessToken, actor_token: await agent.assertion(), actor_token_type: TT.jwt, resource: MCP, scope: 'mcp:read' }, auth.orchestrator),
      );
      expect(res.body).toMatchObject({ error: 'invalid_request', error_description: 'The grant behind the subject_token has been revoked.' });
      const after = await server.ctx.storage.grants.list({ userId: server.alice.id, includeRevoked: true });
      expect(after.length).toBe(before.length);
    });

    it('CO-1: revokeByUser while a second hop is signed → refused (the whole ancestry is re-checked)', async () => {
      const { server, agent } = h;
      const second = await createAgent(server, server.alice);
      const { token } = await userToken(server);
      const hop1 = await exchange(server, { subject_token: token, subject_token_type: TT.accessToken, actor_token: await agent.assertion(), actor_token_type: TT.jwt, resource: MCP, scope: 'mcp:read files:read' }, auth.orchestrator);
      expect(hop1.status).toBe(200);
      const res = await duringNextSign(
        server,
        () => server.ctx.storage.grants.revokeByUser(server.alice.id, server.ctx.now(), 'user sessions revoked'),
        async () => exchange(server, { subject_token: hop1.body.access_token, subject_token_type: TT.accessToken, actor_token: await second.assertion(), actor_token_type: TT.jwt, resource: FILES }, auth.mcp),
      );
      expect(res.body).toMatchObject({ error: 'invalid_request' });
      expect(await server.ctx.storage.grants.list({ userId: server.alice.id })).toEqual([]);
    });

    it('CO-1: our ID token as subject → the derived grant rests on the consent, and revoking the consent ends the token', async () => {
      const { server } = h;
      const consentId = await createConsent(server.ctx, server.alice.id, 'openid mcp:read');
      const { idToken } = await userToken(server);
      const res = await exchange(server, { subject_token: idToken!, subject_token_type: TT.idToken, resource: MCP, scope: 'mcp:read' }, auth.host);
      expect(res.status).toBe(200);
      const record = await server.ctx.storage.accessTokens.get(String(decodeJwt(res.body.access_token).jti));
      const derived = await server.ctx.storage.grants.get(record!.grantId!);
      expect(derived?.consentId).toBe(consentId);
      expect((await introspect(server, res.body.access_token)).body.active).toBe(true);
      expect(await revokeConsent(server.ctx, consentId)).toContain(derived!.id);
      expect((await introspect(server, res.body.access_token)).body).toEqual({ active: false });
    });

    it('CO-1: the consent revoked while an ID-token exchange is signed → refused, nothing written on it', async () => {
      const { server } = h;
      const consentId = await createConsent(server.ctx, server.alice.id, 'openid mcp:read');
      const { idToken } = await userToken(server);
      const res = await duringNextSign(
        server,
        () => revokeConsent(server.ctx, consentId),
        () => exchange(server, { subject_token: idToken!, subject_token_type: TT.idToken, resource: MCP, scope: 'mcp:read' }, auth.host),
      );
      expect(res.body).toMatchObject({ error: 'invalid_request', error_description: 'The consent behind the subject_token has been revoked.' });
      const onConsent = (await server.ctx.storage.grants.list({ userId: server.alice.id, clientId: 'host', includeRevoked: true })).filter((g) => g.consentId === consentId);
      expect(onConsent).toEqual([]);
    });
  });
}
