/**
 * Set-up of the jwt-bearer tests: a real Mandate server (startTokenServer) that trusts
 * - a workload issuer with its keys given by value (a CI system: GitHub-style `sub`),
 * - a workload issuer whose keys are fetched from a loopback jwks_uri (a cluster),
 * - an ID-JAG issuer (company A's authorization server, keys by value),
 * and the clients, agent and users those mappings name. Assertions are signed with jose.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { CompactSign, createLocalJWKSet, decodeJwt, exportJWK, generateKeyPair, jwtVerify, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import type { AgentRecord } from '../../src/storage/records.ts';
import { createUser, postForm, startTokenServer, type JsonResponse, type PostOptions, type TokenServer } from '../token/fixtures.ts';
import type { Backend } from '../helpers/test-server.ts';

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const CI_ISSUER = 'https://token.actions.example';
export const CLUSTER_ISSUER = 'https://cluster.internal.example';
export const IDP_ISSUER = 'https://as.company-a.example';
export const CI_SUB = 'repo:acme/app:ref:refs/heads/main';
export const AGENT_SUB = 'system:serviceaccount:prod:research-agent';
export const AGENT_ID = 'agt_workload_research';
/** A CI pipeline whose rule maps to a client that is itself an agent's client. */
export const AGENT_CI_SUB = 'repo:acme/agent:ref:refs/heads/main';
export const AGENT_CI_ID = 'agt_ci_agent';
export const AGENT_RESOURCE = 'https://mcp.example/mcp';
export const PARTNER_SECRET = 'partner-secret-0123456789-abcdefghijklmnopq';

export interface IssuerKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function issuerKey(alg = 'ES256'): Promise<IssuerKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomUUID();
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/**
 * Signs claims as the issuer would; `undefined` claim values remove a default claim. CompactSign
 * rather than SignJWT: the property tests sign claims that SignJWT refuses (a string `nbf`, NaN),
 * which is exactly what a hostile issuer can send.
 */
export async function signAssertion(key: IssuerKey, claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  const payload = Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined));
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey);
}

export function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export interface FederationServer {
  srv: TokenServer;
  ciKey: IssuerKey;
  clusterKey: IssuerKey;
  idpKey: IssuerKey;
  agent: AgentRecord;
  /** How many times the cluster's jwks_uri was fetched. */
  jwksFetches(): number;
  now(): number;
  workloadClaims(sub: string, extra?: Record<string, unknown>): Record<string, unknown>;
  idJagClaims(extra?: Record<string, unknown>): Record<string, unknown>;
  token(form: Record<string, string | string[] | undefined>, basic?: [string, string], options?: PostOptions): Promise<JsonResponse>;
  verify(token: string): Promise<JWTPayload>;
  close(): Promise<void>;
}

export async function startFederationServer(backend: Backend = 'sqlite'): Promise<FederationServer> {
  const [ciKey, clusterKey, idpKey] = await Promise.all([issuerKey('ES256'), issuerKey('EdDSA'), issuerKey('ES256')]);
  let fetches = 0;
  const jwksServer: Server = createServer((req, res) => {
    fetches += 1;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [clusterKey.publicJwk] }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const address = jwksServer.address();
  const jwksPort = typeof address === 'object' && address ? address.port : 0;

  const srv = await startTokenServer({
    clients: [
      { client_id: 'ci-deployer', token_endpoint_auth_method: 'none', grant_types: [JWT_BEARER], scope: 'mcp:read mcp:write' },
      { client_id: 'other-deployer', token_endpoint_auth_method: 'none', grant_types: [JWT_BEARER], scope: 'mcp:read' },
      { client_id: 'agent-runner', token_endpoint_auth_method: 'none', grant_types: [JWT_BEARER] },
      { client_id: 'agent-ci', token_endpoint_auth_method: 'none', grant_types: [JWT_BEARER] },
      { client_id: 'partner-app', client_secret: PARTNER_SECRET, token_endpoint_auth_method: 'client_secret_basic', grant_types: [JWT_BEARER] },
      { client_id: 'other-partner', client_secret: PARTNER_SECRET, token_endpoint_auth_method: 'client_secret_basic', grant_types: [JWT_BEARER] },
      { client_id: 'machine', client_secret: 'machine-secret-0123456789-abcdefghijklmnopqr', token_endpoint_auth_method: 'client_secret_post', grant_types: ['client_credentials'] },
    ],
    federation: {
      devAllowedHosts: [`127.0.0.1:${jwksPort}`],
      workloadIssuers: [
        {
          issuer: CI_ISSUER,
          jwks: { keys: [ciKey.publicJwk as Record<string, unknown>] },
          algorithms: ['ES256'],
          maxLifetime: 900,
          rules: [
            { claim: 'sub', equals: CI_SUB, clientId: 'ci-deployer' },
            { claim: 'sub', equals: AGENT_CI_SUB, clientId: 'agent-ci' },
            { claim: 'job_workflow_ref', equals: 'acme/other/.github/workflows/ship.yml@refs/heads/main', clientId: 'other-deployer' },
          ],
        },
        {
          issuer: CLUSTER_ISSUER,
          jwksUri: `http://127.0.0.1:${jwksPort}/openid/v1/jwks`,
          algorithms: ['EdDSA'],
          rules: [{ claim: 'sub', equals: AGENT_SUB, agentId: AGENT_ID }],
        },
      ],
      idJagIssuers: [
        {
          issuer: IDP_ISSUER,
          jwks: { keys: [idpKey.publicJwk as Record<string, unknown>] },
          algorithms: ['ES256'],
          subjectClaim: 'email',
          emailDomains: ['example.com', 'company-a.example'],
          clients: [{ clientId: 'partner-app', scopes: ['mcp:read', 'profile'], resources: [AGENT_RESOURCE] }],
        },
      ],
    },
  }, backend);
  const { ctx } = srv;
  const owner = await createUser(ctx, 'owner@example.com', 'Agent Owner');
  const t = ctx.now();
  const agent: AgentRecord = {
    id: AGENT_ID,
    name: 'Research agent',
    description: 'Runs in the prod cluster',
    ownerUserId: owner.id,
    allowedScopes: ['mcp:read'],
    allowedAudiences: [AGENT_RESOURCE],
    allowedTools: [],
    maxDelegationDepth: 2,
    status: 'active',
    suspendedBy: null,
    attestation: { model: 'example-model-1', runtime: 'k8s' },
    jwks: null,
    clientId: 'agent-runner',
    createdAt: t,
    updatedAt: t,
  };
  await ctx.storage.agents.create(agent);
  await ctx.storage.agents.create({ ...agent, id: AGENT_CI_ID, name: 'CI agent', allowedScopes: ['mcp:read', 'mcp:write'], attestation: null, clientId: 'agent-ci' });
  const serverKeys = createLocalJWKSet(await ctx.keys.jwks());
  return {
    srv,
    ciKey,
    clusterKey,
    idpKey,
    agent,
    jwksFetches: () => fetches,
    now: () => ctx.now(),
    workloadClaims(sub, extra = {}) {
      const now = ctx.now();
      return { iss: CI_ISSUER, sub, aud: srv.issuer, iat: now, exp: now + 300, jti: randomUUID(), ...extra };
    },
    idJagClaims(extra = {}) {
      const now = ctx.now();
      return {
        iss: IDP_ISSUER,
        sub: 'usr_in_company_a',
        email: srv.alice.email,
        aud: srv.issuer,
        client_id: 'partner-app',
        scope: 'mcp:read mcp:write',
        resource: AGENT_RESOURCE,
        iat: now,
        exp: now + 300,
        jti: randomUUID(),
        ...extra,
      };
    },
    token: (form, basic, options = {}) => postForm(srv.tokenUrl, { grant_type: JWT_BEARER, ...form }, basic ? { ...options, basic } : options),
    verify: async (token) => (await jwtVerify(token, serverKeys, { issuer: srv.issuer })).payload,
    async close() {
      await srv.close();
      await new Promise<void>((resolve) => jwksServer.close(() => resolve()));
    },
  };
}

/** Number of tokens this server issued, from the audit log (every issuance is audited in its transaction). */
export async function issuedCount(f: FederationServer): Promise<number> {
  return (await f.srv.ctx.storage.audit.list({ event: 'token_issued', limit: 1000 })).length;
}

export { decodeJwt };
