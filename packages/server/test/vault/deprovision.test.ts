/**
 * ID-2 and the vault: deprovisioning marks the user's entries revoked in its transaction, and
 * after the commit the linked accounts are revoked at their providers (RFC 7009) — through the
 * admin API's disable and through SCIM (active=false, DELETE). A provider that cannot revoke never
 * fails the deprovisioning: its entry stays revoked with the error, to retry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/test-server.ts';
import type { ServerContext } from '../../src/context.ts';
import { admin } from '../admin/support.ts';
import { createUser } from '../token/fixtures.ts';
import { ADMIN_CLI, clientToken, IDP, newUser, patchOps, scim, startScimServer } from '../scim/support.ts';
import { startCaptureServer, type CaptureServer } from './support/capture-server.ts';
import { createGithubLike, linkThroughProvider, userinfo, useThirdPartyProvider } from './support/vault-fixture.ts';

describe.each(['sqlite', 'postgres'] as const)('deprovisioning revokes linked accounts at the provider (%s)', (backend) => {
  const tp = useThirdPartyProvider();
  let down: CaptureServer;
  let s: TestServer;
  let ctx: ServerContext;
  let adminToken: string;
  let scimToken: string;

  beforeAll(async () => {
    down = await startCaptureServer();
    down.respond = (_req, res) => {
      res.writeHead(503);
      res.end();
    };
    s = await startScimServer({ federation: { devAllowedHosts: [tp.provider.hostPort, down.hostPort] } }, backend);
    ctx = s.server.ctx;
    adminToken = await clientToken(s, ADMIN_CLI, 'mandate:admin');
    scimToken = await clientToken(s, IDP, 'mandate:scim');
    await createGithubLike(ctx.vault, tp.provider);
    await ctx.vault.createConnection({
      id: 'down',
      kind: 'oauth',
      displayName: 'Provider in an outage',
      provider: { authorizationEndpoint: `${down.origin}/auth`, tokenEndpoint: `${down.origin}/token`, revocationEndpoint: `${down.origin}/revoke`, clientId: 'm', tokenEndpointAuthMethod: 'client_secret_basic', scopes: [] },
      clientSecret: 'down-secret',
    });
  });
  afterAll(async () => {
    await s?.close();
    await down?.close();
  });

  async function linked(userId: string, login: string): Promise<string> {
    await linkThroughProvider(ctx.vault, tp.provider, userId, login);
    return (await ctx.vault.accessToken(userId, 'tp')).accessToken;
  }

  it('admin disable: the provider sees the revocation; an unreachable provider does not fail the disable', async () => {
    const user = await createUser(ctx, 'erin@example.com', 'Erin');
    const token = await linked(user.id, 'erin-at-tp');
    await ctx.vault.linkTokens(user.id, 'down', { accessToken: 'down-at', refreshToken: 'down-rt', expiresIn: 3600, scope: null });
    expect((await userinfo(tp.provider, token)).status).toBe(200);

    const res = await admin(s, adminToken, 'POST', `/users/${user.id}/disable`);
    expect(res.status).toBe(200);
    expect(res.json.disabled).toBe(true);
    expect((await userinfo(tp.provider, token)).status).toBe(401);
    const left = await ctx.storage.vault.entries.listForUser(user.id);
    expect(left).toEqual([expect.objectContaining({ connectionId: 'down', status: 'revoked', lastError: 'revocation_failed:server_error' })]);
    expect(down.requests.map((r) => r.path)).toEqual(['/revoke']);
  });

  it('SCIM active=false and DELETE: the provider sees the revocation after the commit', async () => {
    for (const [login, deactivate] of [
      ['frank', (id: string) => scim(s, scimToken, 'PATCH', `/Users/${id}`, patchOps({ op: 'replace', path: 'active', value: false }))],
      ['grace', (id: string) => scim(s, scimToken, 'DELETE', `/Users/${id}`)],
    ] as const) {
      const created = await scim(s, scimToken, 'POST', '/Users', newUser(`${login}@example.com`));
      expect(created.status).toBe(201);
      const token = await linked(created.json.id, `${login}-at-tp`);
      const res = await deactivate(created.json.id);
      expect(res.status).toBeLessThan(300);
      expect((await userinfo(tp.provider, token)).status).toBe(401);
      expect(await ctx.storage.vault.entries.listForUser(created.json.id)).toEqual([]);
    }
  });

  it('a refused SCIM deactivation revokes nothing at the provider', async () => {
    const created = await scim(s, scimToken, 'POST', '/Users', newUser('heidi@example.com'));
    const token = await linked(created.json.id, 'heidi-at-tp');
    // active=false with a userName another user holds: refused (409) inside the write's transaction.
    const res = await scim(s, scimToken, 'PUT', `/Users/${created.json.id}`, newUser('frank@example.com', { active: false }));
    expect(res.status).toBe(409);
    expect((await userinfo(tp.provider, token)).status).toBe(200);
    expect(await ctx.storage.vault.entries.listForUser(created.json.id)).toEqual([expect.objectContaining({ status: 'ok' })]);
  });
});
