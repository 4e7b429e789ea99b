/**
 * The jwt-bearer grant on the PostgreSQL backend: issuance in one transaction, the jti replay
 * set (RFC 7523 §3 (7)) and the agent and user look-ups behave as on SQLite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_ID, AGENT_RESOURCE, AGENT_SUB, CI_SUB, CLUSTER_ISSUER, PARTNER_SECRET, signAssertion, startFederationServer, type FederationServer } from './support.ts';

let f: FederationServer;
beforeAll(async () => {
  f = await startFederationServer('postgres');
});
afterAll(async () => {
  await f?.close();
});

describe('RFC 7523 §2.1 jwt-bearer grant on PostgreSQL', () => {
  it('issues for a workload once and refuses the replayed assertion', async () => {
    const assertion = await signAssertion(f.ciKey, f.workloadClaims(CI_SUB));
    const first = await f.token({ client_id: 'ci-deployer', assertion });
    expect(first.status).toBe(200);
    expect(await f.srv.ctx.storage.accessTokens.get((await f.verify(first.body.access_token)).jti as string)).not.toBeNull();
    const replay = await f.token({ client_id: 'ci-deployer', assertion });
    expect(replay.body.error).toBe('invalid_grant');
  });

  it('maps a cluster workload to its agent', async () => {
    const now = f.now();
    const assertion = await signAssertion(f.clusterKey, { iss: CLUSTER_ISSUER, sub: AGENT_SUB, aud: f.srv.issuer, iat: now, exp: now + 60, jti: `pg-${now}` });
    const res = await f.token({ client_id: 'agent-runner', assertion, resource: AGENT_RESOURCE });
    expect(res.status).toBe(200);
    expect((await f.verify(res.body.access_token)).sub).toBe(AGENT_ID);
  });

  it('accepts an ID-JAG for a user found by email, once', async () => {
    const assertion = await signAssertion(f.idpKey, f.idJagClaims(), { typ: 'oauth-id-jag+jwt' });
    const res = await f.token({ assertion }, ['partner-app', PARTNER_SECRET]);
    expect(res.status).toBe(200);
    expect((await f.verify(res.body.access_token)).sub).toBe(f.srv.alice.id);
    expect((await f.token({ assertion }, ['partner-app', PARTNER_SECRET])).body.error).toBe('invalid_grant');
  });
});
