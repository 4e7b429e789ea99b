/**
 * CO-1: access tokens that rest on no grant reach the signed revocation feed when what they rest
 * on goes — introspection already counts them dead (endpoints/token-state.ts), and a resource
 * server validating JWTs locally must learn it too:
 *   - a client_credentials token when its client is deleted (admin API, RFC 7592 §2.3 DELETE);
 *   - an ID-JAG token (draft-ietf-oauth-identity-assertion-authz-grant) when its user is disabled.
 * Runs on SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { REVOCATION_LIST_TYP, type PublishedRevocation } from '../../src/revocation/feed.ts';
import { issueAccessToken } from '../../src/tokens/access-token.ts';
import type { ServerContext } from '../../src/context.ts';
import { adminToken, basic, call, MCP, postForm, SECRETS, startAgentServer, type AgentServer } from '../agents/support.ts';
import { PARTNER_SECRET, signAssertion, startFederationServer, type FederationServer } from '../jwt-bearer/support.ts';
import { createUser } from '../token/fixtures.ts';

/** Every event of the feed, verified against the server's JWKS, read by a confidential operator-registered client. */
async function feedEvents(ctx: ServerContext, issuer: string, auth: [string, string]): Promise<PublishedRevocation[]> {
  const jwks = createLocalJWKSet(await ctx.keys.jwks());
  const res = await fetch(`${issuer}/revocations?limit=1000`, { headers: { authorization: basic(...auth) } });
  expect(res.status).toBe(200);
  const { payload } = await jwtVerify(await res.text(), jwks, { issuer, audience: auth[0], typ: REVOCATION_LIST_TYP });
  return (payload as unknown as { events: PublishedRevocation[] }).events;
}

describe.each(['sqlite', 'postgres'] as const)('CO-1 feed: client_credentials tokens of a deleted client (%s)', (backend) => {
  let s: AgentServer;
  beforeAll(async () => {
    s = await startAgentServer({ dcr: { policy: 'open' }, selfRegisteredClients: { clientCredentialsScopes: ['mcp:read'] } }, backend);
  });
  afterAll(() => s.close());

  async function clientCredentialsToken(auth: [string, string]): Promise<{ jti: string; exp: number }> {
    const issued = await postForm(`${s.issuer}/token`, { grant_type: 'client_credentials', scope: 'mcp:read', resource: MCP }, auth);
    expect(issued.status).toBe(200);
    const claims = decodeJwt(String(issued.json.access_token));
    return { jti: String(claims.jti), exp: Number(claims.exp) };
  }

  it('admin API DELETE /clients/:id publishes the client\'s client_credentials token on the feed', async () => {
    const admin = await adminToken(s.ctx);
    const created = await call(`${s.issuer}/admin/v1/clients`, admin, 'POST', { client_id: 'doomed-service', client_name: 'Doomed', grant_types: ['client_credentials'], scope: 'mcp:read' });
    expect(created.status).toBe(201);
    const token = await clientCredentialsToken(['doomed-service', String(created.json.client_secret)]);
    expect((await call(`${s.issuer}/admin/v1/clients/doomed-service`, admin, 'DELETE')).status).toBe(204);
    const events = await feedEvents(s.ctx, s.issuer, ['resource-server', SECRETS.rs]);
    expect(events.find((e) => e.jti === token.jti)).toMatchObject({ jti: token.jti, exp: token.exp, reason: 'client deleted by an administrator' });
    expect((await s.ctx.storage.accessTokens.get(token.jti))?.revokedAt).not.toBeNull();
  });

  it('RFC 7592 §2.3 DELETE of a registration publishes the client\'s client_credentials token on the feed', async () => {
    const reg = await fetch(`${s.issuer}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'short-lived', redirect_uris: [], grant_types: ['client_credentials'], scope: 'mcp:read', token_endpoint_auth_method: 'client_secret_basic' }),
    });
    expect(reg.status).toBe(201);
    const r = (await reg.json()) as { client_id: string; client_secret: string; registration_access_token: string; registration_client_uri: string };
    const token = await clientCredentialsToken([r.client_id, r.client_secret]);
    const deleted = await fetch(r.registration_client_uri, { method: 'DELETE', headers: { authorization: `Bearer ${r.registration_access_token}` } });
    expect(deleted.status).toBe(204);
    const events = await feedEvents(s.ctx, s.issuer, ['resource-server', SECRETS.rs]);
    expect(events.find((e) => e.jti === token.jti)).toMatchObject({ jti: token.jti, exp: token.exp, reason: 'client deleted through RFC 7592' });
  });
});

describe.each(['sqlite', 'postgres'] as const)('CO-1 feed: ID-JAG tokens of a disabled user (%s)', (backend) => {
  let f: FederationServer;
  beforeAll(async () => {
    f = await startFederationServer(backend);
  });
  afterAll(() => f.close());

  it('an admin disable publishes the jti of the user\'s ID-JAG-issued token (no grant) with its exp', async () => {
    const { ctx, issuer } = f.srv;
    const carol = await createUser(ctx, 'carol@example.com', 'Carol Example');
    const res = await f.token({ assertion: await signAssertion(f.idpKey, f.idJagClaims({ email: carol.email }), { typ: 'oauth-id-jag+jwt' }) }, ['partner-app', PARTNER_SECRET]);
    expect(res.status).toBe(200);
    const claims = decodeJwt(String(res.body.access_token));
    expect((await ctx.storage.accessTokens.get(String(claims.jti)))?.grantId).toBeNull();

    const operator = await createUser(ctx, 'operator@example.com', 'Operator');
    await ctx.storage.users.update({ ...operator, isAdmin: true });
    const admin = await issueAccessToken(ctx, { subject: operator.id, clientId: 'partner-app', userId: operator.id, grantId: null, scope: 'mandate:admin', audience: [] });
    const disabled = await call(`${issuer}/admin/v1/users/${carol.id}/disable`, admin.token, 'POST');
    expect(disabled.status).toBe(200);

    const events = await feedEvents(ctx, issuer, ['partner-app', PARTNER_SECRET]);
    expect(events.find((e) => e.jti === claims.jti)).toMatchObject({ jti: claims.jti, exp: claims.exp, reason: 'user disabled by an administrator' });
  });
});
