/**
 * The checks every API of Mandate's own makes on the access token it is called with
 * (http/own-api-token.ts), on the admin, agents and account APIs alike. Pinned here: the DPoP
 * scheme is refused with a description saying why, and a DPoP-bound token sent as Bearer is
 * refused — no proof is verified at these APIs, so a bound token is no bearer token (RFC 9449 §7.1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueAccessToken } from '../../src/tokens/access-token.ts';
import { createGrant, startAgentServer, type AgentServer } from '../agents/support.ts';

let s: AgentServer;
beforeAll(async () => {
  s = await startAgentServer();
});
afterAll(() => s.close());

const JKT = 'bound-key-thumbprint';

/** The admin CLI's service token (mandate:admin, no user), bound to a DPoP key when `cnfJkt` is given. */
async function adminCliToken(cnfJkt: string | null): Promise<string> {
  return (await issueAccessToken(s.ctx, { subject: 'admin-cli', clientId: 'admin-cli', userId: null, grantId: null, scope: 'mandate:admin', audience: [], cnfJkt })).token;
}

/** Alice's token under a live grant with `scope`, bound to a DPoP key when `cnfJkt` is given. */
async function aliceToken(scope: string, cnfJkt: string | null): Promise<string> {
  const grant = await createGrant(s.ctx, { userId: s.alice.id, scope, resources: [] });
  return (await issueAccessToken(s.ctx, { subject: s.alice.id, clientId: grant.clientId, userId: s.alice.id, grantId: grant.id, scope, audience: [], cnfJkt })).token;
}

const APIS = [
  { path: '/admin/v1/clients', realm: 'mandate-admin', name: 'admin API', token: adminCliToken },
  { path: '/agents', realm: 'mandate-agents', name: 'agents API', token: (jkt: string | null) => aliceToken('mandate:agents', jkt) },
  { path: '/account/v1/sessions', realm: 'mandate-account', name: 'account API', token: (jkt: string | null) => aliceToken('mandate:account', jkt) },
];

const get = (path: string, authorization: string) => fetch(`${s.issuer}${path}`, { headers: { authorization } });

describe.each(APIS)('RFC 6750 §3.1 / RFC 9449 §7.1 the $name takes Bearer tokens only', ({ path, realm, name, token }) => {
  it('answers 200 to its own unbound token sent as Bearer', async () => {
    expect((await get(path, `Bearer ${await token(null)}`)).status).toBe(200);
  });

  it('refuses the DPoP scheme with 401 invalid_token saying it takes Bearer tokens only', async () => {
    const res = await get(path, `DPoP ${await token(JKT)}`);
    const description = `The ${name} accepts Bearer tokens only; request the token without DPoP.`;
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="${realm}", error="invalid_token", error_description="${description}"`);
    expect(await res.json()).toMatchObject({ error: 'invalid_token', error_description: description });
  });

  it('refuses a DPoP-bound token sent as Bearer with 401 invalid_token', async () => {
    const res = await get(path, `Bearer ${await token(JKT)}`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer realm="${realm}", error="invalid_token", error_description="DPoP-bound tokens are not accepted by the ${name}; request a Bearer token."`,
    );
  });
});
