/**
 * SCIM is a protected resource of Mandate (RFC 6750): a Bearer token with mandate:scim from the
 * identity provider's client_credentials. Discovery endpoints (RFC 7644 §4) are public.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/test-server.ts';
import { ADMIN_CLI, clientToken, ERROR, IDP, mintToken, scim, startScimServer } from './support.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startScimServer();
});
afterAll(() => s.close());

describe('RFC 6750 bearer protection of /scim/v2', () => {
  it('no token → 401 in the SCIM error schema with a WWW-Authenticate challenge', async () => {
    const res = await scim(s, null, 'GET', '/Users');
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/scim+json');
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="mandate-scim"');
    expect(res.json).toMatchObject({ schemas: [ERROR], status: '401' });
  });

  it('a garbage or foreign token → 401 invalid_token', async () => {
    const res = await scim(s, 'not.a.jwt', 'GET', '/Users');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('a token without mandate:scim (the admin CLI’s) → 403 insufficient_scope, audited', async () => {
    const res = await scim(s, await clientToken(s, ADMIN_CLI, 'mandate:admin'), 'POST', '/Users', { userName: 'x@example.com' });
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope", scope="mandate:scim"');
    expect(res.json).toMatchObject({ schemas: [ERROR], status: '403' });
    const denied = await s.server.ctx.storage.audit.list({ event: 'scim.denied' });
    expect(denied.at(-1)).toMatchObject({ clientId: ADMIN_CLI.id, result: 'failure' });
  });

  it('a token carrying mandate:scim for a client not registered with it → 403', async () => {
    const res = await scim(s, await mintToken(s, { clientId: ADMIN_CLI.id, scope: 'mandate:scim' }), 'GET', '/Users');
    expect(res.status).toBe(403);
  });

  it('a revoked token → 401', async () => {
    const token = await clientToken(s, IDP, 'mandate:scim');
    const jti = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti as string;
    await s.server.ctx.storage.accessTokens.revoke(jti, s.server.ctx.now());
    expect((await scim(s, token, 'GET', '/Users')).status).toBe(401);
  });

  it('the identity provider’s client_credentials token works, with resource=<issuer>/scim/v2 too', async () => {
    expect((await scim(s, await clientToken(s, IDP, 'mandate:scim'), 'GET', '/Users')).status).toBe(200);
    expect((await scim(s, await clientToken(s, IDP, 'mandate:scim', `${s.issuer}/scim/v2`), 'GET', '/Users')).status).toBe(200);
  });
});

describe('RFC 7644 §4 discovery', () => {
  it('ServiceProviderConfig announces patch and filter, no bulk, sort or etag, and the bearer scheme', async () => {
    const res = await scim(s, null, 'GET', '/ServiceProviderConfig');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ patch: { supported: true }, filter: { supported: true, maxResults: 200 }, bulk: { supported: false }, etag: { supported: false } });
    expect(res.json.authenticationSchemes[0].type).toBe('oauthbearertoken');
  });

  it('ResourceTypes: User with the agent extension, Group', async () => {
    const res = await scim(s, null, 'GET', '/ResourceTypes');
    expect(res.json.Resources.map((r: any) => r.id)).toEqual(['User', 'Group']);
    expect(res.json.Resources[0].schemaExtensions).toEqual([{ schema: 'urn:mandate:params:scim:schemas:extension:agent:2.0:User', required: false }]);
    expect((await scim(s, null, 'GET', '/ResourceTypes/Group')).json.endpoint).toBe('/Groups');
    expect((await scim(s, null, 'GET', '/ResourceTypes/Nope')).status).toBe(404);
  });

  it('Schemas publish the attribute table (userName not caseExact; agents read-only)', async () => {
    const all = await scim(s, null, 'GET', '/Schemas');
    expect(all.json.totalResults).toBe(3);
    const user = await scim(s, null, 'GET', '/Schemas/urn:ietf:params:scim:schemas:core:2.0:User');
    expect(user.json.attributes.find((a: any) => a.name === 'userName')).toMatchObject({ caseExact: false, uniqueness: 'server', required: true });
    const ext = await scim(s, null, 'GET', '/Schemas/urn:mandate:params:scim:schemas:extension:agent:2.0:User');
    expect(ext.json.attributes[0]).toMatchObject({ name: 'agents', mutability: 'readOnly', multiValued: true });
  });

  it('unknown SCIM paths → 404 in the SCIM error schema', async () => {
    const res = await scim(s, null, 'GET', '/Nope');
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ schemas: [ERROR], status: '404' });
  });
});
