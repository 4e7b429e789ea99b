/**
 * Workload identity federation (CL-8, ID-3) at the jwt-bearer grant: a JWT from a configured
 * external issuer, mapped by rule to a service client or an agent, buys a short-lived access
 * token for that identity; no secret of ours is involved.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_CI_ID, AGENT_CI_SUB, AGENT_ID, AGENT_RESOURCE, AGENT_SUB, CI_SUB, CLUSTER_ISSUER, decodeJwt, issuedCount, JWT_BEARER, signAssertion, startFederationServer, type FederationServer } from './support.ts';
import { proofKey, signProof } from '../token/fixtures.ts';

let f: FederationServer;
beforeAll(async () => {
  f = await startFederationServer();
});
afterAll(async () => {
  await f.close();
});

describe('RFC 8414 §2 grant_types_supported', () => {
  it('advertises the jwt-bearer grant', async () => {
    const meta = (await (await fetch(`${f.srv.issuer}/.well-known/oauth-authorization-server`)).json()) as { grant_types_supported: string[] };
    expect(meta.grant_types_supported).toContain(JWT_BEARER);
  });
});

describe('RFC 7523 §2.1 workload JWT mapped to a service client (CL-8, ID-3)', () => {
  it('issues a short-lived access token for the mapped client, scope = requested ∩ allowed, no refresh token', async () => {
    const assertion = await signAssertion(f.ciKey, f.workloadClaims(CI_SUB));
    const res = await f.token({ client_id: 'ci-deployer', assertion, scope: 'mcp:read mcp:admin' });
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe('Bearer');
    expect(res.body.scope).toBe('mcp:read'); // mcp:admin is not the client's: dropped
    expect(res.body.refresh_token).toBeUndefined();
    expect(res.body.expires_in).toBe(f.srv.ctx.config.ttl.clientCredentials);
    const claims = await f.verify(res.body.access_token);
    expect(claims.sub).toBe('ci-deployer');
    expect(claims.client_id).toBe('ci-deployer');
    expect(claims.aud).toBe(f.srv.issuer);
    expect(claims.scope).toBe('mcp:read');
    expect((claims.exp as number) - (claims.iat as number)).toBe(f.srv.ctx.config.ttl.clientCredentials);
    expect(await f.srv.ctx.storage.accessTokens.get(claims.jti as string)).not.toBeNull();
  });

  it('grants all of the client\'s scopes when none is requested, and matches rules on other claims', async () => {
    const assertion = await signAssertion(f.ciKey, f.workloadClaims('repo:acme/other:ref:refs/heads/main', { job_workflow_ref: 'acme/other/.github/workflows/ship.yml@refs/heads/main' }));
    const res = await f.token({ client_id: 'other-deployer', assertion });
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('mcp:read');
    expect((await f.verify(res.body.access_token)).sub).toBe('other-deployer');
  });

  it('accepts the token endpoint URL as aud (RFC 7523 §3 (3))', async () => {
    const assertion = await signAssertion(f.ciKey, f.workloadClaims(CI_SUB, { aud: f.srv.tokenUrl }));
    const res = await f.token({ client_id: 'ci-deployer', assertion, scope: 'mcp:write' });
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('mcp:write');
  });

  it('accepts aud as a one-element array naming this server (RFC 7519 §4.1.3)', async () => {
    const assertion = await signAssertion(f.ciKey, f.workloadClaims(CI_SUB, { aud: [f.srv.issuer] }));
    const res = await f.token({ client_id: 'ci-deployer', assertion, scope: 'mcp:write' });
    expect(res.status).toBe(200);
  });

  it('audits the issuance with the assertion issuer, subject and jti', async () => {
    const claims = f.workloadClaims(CI_SUB);
    const res = await f.token({ client_id: 'ci-deployer', assertion: await signAssertion(f.ciKey, claims) });
    expect(res.status).toBe(200);
    const events = await f.srv.ctx.storage.audit.list({ clientId: 'ci-deployer', event: 'token_issued', limit: 100 });
    const event = events.find((e) => (e.data as Record<string, unknown>).assertion_jti === claims.jti);
    expect(event?.data).toMatchObject({ grant_type: JWT_BEARER, assertion_profile: 'workload', assertion_iss: claims.iss, assertion_sub: CI_SUB });
  });
});

describe('RFC 7523 §2.1 workload JWT mapped to an agent, keys from the issuer jwks_uri (CL-8, ID-2)', () => {
  it('issues a token whose subject is the agent, with its attestation, for an allowed audience', async () => {
    const now = f.now();
    const assertion = await signAssertion(f.clusterKey, { iss: CLUSTER_ISSUER, sub: AGENT_SUB, aud: f.srv.issuer, iat: now, exp: now + 600, jti: `k8s-${now}-1` });
    const res = await f.token({ client_id: 'agent-runner', assertion, scope: 'mcp:read mcp:write', resource: AGENT_RESOURCE });
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('mcp:read'); // the agent's allowed scopes bound it
    const claims = await f.verify(res.body.access_token);
    expect(claims.sub).toBe(AGENT_ID);
    expect(claims.client_id).toBe('agent-runner');
    expect(claims.aud).toBe(AGENT_RESOURCE);
    expect(claims.agent_id).toBe(AGENT_ID);
    expect(claims.agent_attestation).toEqual({ model: 'example-model-1', runtime: 'k8s' });
  });

  it('fetches the issuer JWK Set once and serves later assertions from the cache', async () => {
    const before = f.jwksFetches();
    const now = f.now();
    const assertion = await signAssertion(f.clusterKey, { iss: CLUSTER_ISSUER, sub: AGENT_SUB, aud: f.srv.issuer, iat: now, exp: now + 60, jti: `k8s-${now}-2` });
    expect((await f.token({ client_id: 'agent-runner', assertion, resource: AGENT_RESOURCE })).status).toBe(200);
    expect(f.jwksFetches()).toBe(before);
    expect(before).toBe(1);
  });

  it('refuses a resource outside the agent\'s allowed audiences (invalid_target)', async () => {
    const now = f.now();
    const assertion = await signAssertion(f.clusterKey, { iss: CLUSTER_ISSUER, sub: AGENT_SUB, aud: f.srv.issuer, iat: now, exp: now + 60, jti: `k8s-${now}-3` });
    const res = await f.token({ client_id: 'agent-runner', assertion, resource: 'https://files.example/api' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_target');
  });

  it('DL-4: refuses a request without resource when the default audience (the issuer) is not among the agent\'s allowed audiences (invalid_target), issuing nothing', async () => {
    const before = await issuedCount(f);
    const now = f.now();
    const assertion = await signAssertion(f.clusterKey, { iss: CLUSTER_ISSUER, sub: AGENT_SUB, aud: f.srv.issuer, iat: now, exp: now + 60, jti: `k8s-${now}-4` });
    const res = await f.token({ client_id: 'agent-runner', assertion });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_target');
    expect(res.body.access_token).toBeUndefined();
    expect(await issuedCount(f)).toBe(before);
  });

  it('ID-2: a suspension landing while the token is signed wins (invalid_grant), and no access token row is kept', async () => {
    const keys = f.srv.ctx.keys;
    const sign = keys.sign;
    const signed: string[] = [];
    keys.sign = async (...args) => {
      await f.srv.ctx.storage.agents.update({ ...f.agent, status: 'suspended', updatedAt: f.now() });
      const token = await sign.apply(keys, args);
      signed.push(token);
      return token;
    };
    const now = f.now();
    const assertion = await signAssertion(f.clusterKey, { iss: CLUSTER_ISSUER, sub: AGENT_SUB, aud: f.srv.issuer, iat: now, exp: now + 60, jti: `k8s-${now}-race` });
    let res: Awaited<ReturnType<typeof f.token>>;
    try {
      res = await f.token({ client_id: 'agent-runner', assertion, resource: AGENT_RESOURCE });
    } finally {
      keys.sign = sign;
      await f.srv.ctx.storage.agents.update({ ...f.agent, status: 'active', updatedAt: f.now() });
    }
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
    expect(res.body.error_description).toMatch(/suspended/);
    expect(signed).toHaveLength(1);
    const jti = decodeJwt(signed[0]!).jti as string;
    expect(await f.srv.ctx.storage.accessTokens.get(jti)).toBeNull();
  });

  it('refuses a suspended agent at once (invalid_grant), and accepts it again once reactivated', async () => {
    const store = f.srv.ctx.storage.agents;
    await store.update({ ...f.agent, status: 'suspended', updatedAt: f.now() });
    const now = f.now();
    const sign = (n: number) => signAssertion(f.clusterKey, { iss: CLUSTER_ISSUER, sub: AGENT_SUB, aud: f.srv.issuer, iat: now, exp: now + 60, jti: `k8s-${now}-s${n}` });
    const refused = await f.token({ client_id: 'agent-runner', assertion: await sign(1) });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_grant');
    expect(refused.body.error_description).toMatch(/suspended/);
    await store.update({ ...f.agent, status: 'active', updatedAt: f.now() });
    expect((await f.token({ client_id: 'agent-runner', assertion: await sign(2), resource: AGENT_RESOURCE })).status).toBe(200);
  });

  it('refuses the agent when its owner is disabled (invalid_grant)', async () => {
    const owner = await f.srv.ctx.storage.users.get(f.agent.ownerUserId);
    await f.srv.ctx.storage.users.update({ ...owner!, disabled: true, updatedAt: f.now() });
    try {
      const now = f.now();
      const assertion = await signAssertion(f.clusterKey, { iss: CLUSTER_ISSUER, sub: AGENT_SUB, aud: f.srv.issuer, iat: now, exp: now + 60, jti: `k8s-${now}-o` });
      const res = await f.token({ client_id: 'agent-runner', assertion });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
      expect(res.body.error_description).toMatch(/owner/);
    } finally {
      await f.srv.ctx.storage.users.update({ ...owner!, disabled: false, updatedAt: f.now() });
    }
  });
});

describe('RFC 7523 §2.1 workload JWT mapped to a client that is an agent\'s own client (ID-2)', () => {
  it('issues the token for the agent, as client credentials of that client would', async () => {
    const res = await f.token({ client_id: 'agent-ci', assertion: await signAssertion(f.ciKey, f.workloadClaims(AGENT_CI_SUB)), scope: 'mcp:write', resource: AGENT_RESOURCE });
    expect(res.status).toBe(200);
    const claims = await f.verify(res.body.access_token);
    expect(claims).toMatchObject({ sub: AGENT_CI_ID, client_id: 'agent-ci', agent_id: AGENT_CI_ID, scope: 'mcp:write', aud: AGENT_RESOURCE });
    expect(claims.agent_attestation).toBeUndefined();
  });
});

describe('RFC 9449 §5 DPoP-bound workload tokens', () => {
  it('binds the access token to the proof key when a DPoP proof is sent (token_type DPoP, cnf.jkt)', async () => {
    const key = await proofKey();
    const proof = await signProof(key, { htu: f.srv.tokenUrl });
    const res = await f.token({ client_id: 'ci-deployer', assertion: await signAssertion(f.ciKey, f.workloadClaims(CI_SUB)) }, undefined, { dpop: proof });
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe('DPoP');
    expect((await f.verify(res.body.access_token)).cnf).toEqual({ jkt: key.jkt });
  });
});
