/**
 * The actor token (RFC 8693 §2.1) as a credential: a DPoP-bound client credentials token acts only
 * with its key (RFC 9449 §7.1) and only when it is meant for the exchange (RFC 8725 §3.9), an actor
 * JWT names this server as its one audience (draft-ietf-oauth-rfc7523bis), an actor JWT's jti stays single-use for as long as the JWT verifies
 * (RFC 7523 §3 (7)), and an `iat` in the future does not stretch its lifetime (RFC 7523 §3 (4), (6)).
 */
import { describe, expect, it } from 'vitest';
import { accessTokenClaims, postForm, proofKey, tokenProof } from '../token/fixtures.ts';
import { ACTOR_JWT_LEEWAY } from '../../src/grants/token-exchange/actor-token.ts';
import { auth, createAgent, exchange, FILES, MCP, TT, useExchangeServer, userToken } from './fixtures.ts';

describe('RFC 8693 §2.1 actor_token checks', () => {
  const h = useExchangeServer();

  describe('RFC 9449 §7.1 a DPoP-bound actor access token is presented with its key', () => {
    it('without a proof → invalid_dpop_proof, with another key → invalid_request, with its key → 200', async () => {
      // The actor token is requested without a resource, so its aud is the issuer: an audience the agent must hold (DL-4, RFC 8707 §2).
      const bound = await createAgent(h.server, h.server.alice, { clientId: 'plain', allowedAudiences: [MCP, h.server.issuer] });
      const key = await proofKey();
      const cc = await postForm(h.server.tokenUrl, { grant_type: 'client_credentials' }, { ...auth.plain, dpop: await tokenProof(h.server, key) });
      expect(cc.body.token_type).toBe('DPoP');
      const form = async () => ({ subject_token: (await userToken(h.server)).token, subject_token_type: TT.accessToken, actor_token: cc.body.access_token as string, actor_token_type: TT.accessToken, resource: MCP, scope: 'mcp:read' });

      const none = await exchange(h.server, await form(), auth.orchestrator);
      expect(none.status).toBe(400);
      expect(none.body).toMatchObject({ error: 'invalid_dpop_proof', error_description: expect.stringMatching(/actor_token is DPoP-bound/) });
      const other = await exchange(h.server, await form(), { ...auth.orchestrator, dpop: await tokenProof(h.server, await proofKey()) });
      expect(other.body).toMatchObject({ error: 'invalid_request', error_description: 'The DPoP proof key is not the key the actor_token is bound to.' });
      const same = await exchange(h.server, await form(), { ...auth.orchestrator, dpop: await tokenProof(h.server, key) });
      expect(same.status, JSON.stringify(same.body)).toBe(200);
      expect(accessTokenClaims(same.body.access_token)).toMatchObject({ act: { sub: bound.record.id }, cnf: { jkt: key.jkt } });
      await h.server.ctx.storage.agents.update({ ...bound.record, clientId: null });
    });
  });

  describe('RFC 8725 §3.9 an access-token actor is one meant for this exchange (no token passthrough)', () => {
    it('a token the agent obtained for a resource server → invalid_request; for this issuer alone, or issued to the requester → 200', async () => {
      // The agent's client obtains a token for FILES and sends it there: FILES must not act as the agent with it.
      const bound = await createAgent(h.server, h.server.alice, { clientId: 'plain', allowedAudiences: [MCP, FILES, h.server.issuer] });
      const cc = async (resource?: string | string[]) => String((await postForm(h.server.tokenUrl, { grant_type: 'client_credentials', scope: 'mcp:read', resource }, auth.plain)).body.access_token);
      const send = async (actor: string) =>
        exchange(h.server, { subject_token: (await userToken(h.server)).token, subject_token_type: TT.accessToken, actor_token: actor, actor_token_type: TT.accessToken, resource: MCP, scope: 'mcp:read' }, auth.orchestrator);
      try {
        const forFiles = await cc(FILES);
        expect(accessTokenClaims(forFiles).aud).toBe(FILES);
        const passedOn = await send(forFiles);
        expect(passedOn.status).toBe(400);
        expect(passedOn.body).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/actor_token was issued to another client for 'https:\/\/files\.example\/api'.*only audience is this authorization server/) });
        // An audience naming a resource server next to the issuer: that server holds the token too.
        const alsoFiles = await cc([FILES, h.server.issuer]);
        expect(accessTokenClaims(alsoFiles).aud).toEqual([FILES, h.server.issuer]);
        expect((await send(alsoFiles)).body).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/issued to another client/) });
        // Requested without `resource`: the issuer is its only audience — the documented way to act through another client.
        const forUs = await send(await cc());
        expect(forUs.status, JSON.stringify(forUs.body)).toBe(200);
        expect(accessTokenClaims(forUs.body.access_token).act).toEqual({ sub: bound.record.id });
      } finally {
        await h.server.ctx.storage.agents.update({ ...bound.record, clientId: null });
      }
    });

    it('the agent\'s own client presenting its own token (whatever its audience) → 200', async () => {
      const own = await createAgent(h.server, h.server.alice, { clientId: 'mcp-server', allowedAudiences: [MCP, FILES] });
      try {
        const cc = await postForm(h.server.tokenUrl, { grant_type: 'client_credentials', scope: 'mcp:read', resource: FILES }, auth.mcp);
        expect(cc.status, JSON.stringify(cc.body)).toBe(200);
        const { token } = await userToken(h.server, { resources: [MCP] });
        const res = await exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, actor_token: String(cc.body.access_token), actor_token_type: TT.accessToken, resource: FILES, scope: 'mcp:read' }, auth.mcp);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(accessTokenClaims(res.body.access_token).act).toEqual({ sub: own.record.id });
      } finally {
        await h.server.ctx.storage.agents.update({ ...own.record, clientId: null });
      }
    });
  });

  describe('draft-ietf-oauth-rfc7523bis an actor JWT has one audience: this issuer or its token endpoint', () => {
    it('a string or a one-element array → 200; an array naming another party too → invalid_request', async () => {
      const send = async (aud: unknown) => exchange(h.server, { subject_token: (await userToken(h.server)).token, subject_token_type: TT.accessToken, actor_token: await h.agent.assertion({ aud }), actor_token_type: TT.jwt, resource: MCP }, auth.orchestrator);
      expect((await send(h.server.tokenUrl)).status).toBe(200);
      expect((await send([h.server.issuer])).status).toBe(200);
      for (const aud of [['https://elsewhere.example', h.server.issuer], [h.server.issuer, h.server.tokenUrl]]) {
        const res = await send(aud);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/"aud" claim must be one value, this issuer or its token endpoint/) });
      }
    });
  });

  describe('RFC 7523 §3 (7) an actor JWT is single-use while it verifies', () => {
    it('its jti is remembered until exp + the clock leeway, not merely until exp', async () => {
      const assertion = await h.agent.assertion(); // exp = now + 60
      const send = async () => exchange(h.server, { subject_token: (await userToken(h.server)).token, subject_token_type: TT.accessToken, actor_token: assertion, actor_token_type: TT.jwt, resource: MCP }, auth.orchestrator);
      expect((await send()).status).toBe(200);
      h.server.shiftClock(60 + Math.floor(ACTOR_JWT_LEEWAY / 2)); // past exp, still within the leeway jwtVerify grants
      try {
        const replay = await send();
        expect(replay.status).toBe(400);
        expect(replay.body).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/already been used/) });
      } finally {
        h.server.shiftClock(0);
      }
    });
  });

  describe('RFC 7523 §3 (4), (6) actor JWT lifetime', () => {
    it('an "iat" in the future (short exp − iat, long real lifetime) → invalid_request', async () => {
      const now = h.server.ctx.now();
      const { token } = await userToken(h.server);
      const res = await exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, actor_token: await h.agent.assertion({ iat: now + 3000, exp: now + 3060 }), actor_token_type: TT.jwt, resource: MCP }, auth.orchestrator);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/"iat" is in the future/) });
    });

    it('an "iat" slightly ahead (clock skew within the leeway) is accepted', async () => {
      const now = h.server.ctx.now();
      const { token } = await userToken(h.server);
      const res = await exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, actor_token: await h.agent.assertion({ iat: now + 20, exp: now + 80 }), actor_token_type: TT.jwt, resource: MCP }, auth.orchestrator);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    });

    it('an agent clock ahead within the leeway, signing the longest lifetime allowed, is accepted as jwt-bearer accepts it; beyond, "lives longer"', async () => {
      const now = h.server.ctx.now();
      const max = h.server.ctx.config.tokenExchange.actorTokenMaxLifetime;
      const send = async (claims: Record<string, number>) =>
        exchange(h.server, { subject_token: (await userToken(h.server)).token, subject_token_type: TT.accessToken, actor_token: await h.agent.assertion(claims), actor_token_type: TT.jwt, resource: MCP }, auth.orchestrator);
      const skewed = await send({ iat: now + 20, exp: now + 20 + max }); // exp − now = max + 20: the skew the iat check accepts
      expect(skewed.status, JSON.stringify(skewed.body)).toBe(200);
      const longer = await send({ iat: now, exp: now + max + ACTOR_JWT_LEEWAY + 1 });
      expect(longer.status).toBe(400);
      expect(longer.body).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/actor_token lives longer than/) });
    });
  });
});
