/**
 * The federation configuration (CL-8, DL-3) is validated at start: a trusted issuer names its
 * keys exactly once, asymmetric algorithms only, every workload rule maps to exactly one
 * identity, every ID-JAG issuer names the clients it is trusted for; the loopback JWKS allowance
 * is refused in production.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FederationSchema } from '../../src/federation/schema.ts';
import { loadConfig } from '../../src/config/load.ts';

const JWKS = { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] };
const workload = (over: Record<string, unknown> = {}) => ({ issuer: 'https://ci.example', jwks: JWKS, rules: [{ equals: 'repo:a/b', clientId: 'ci' }], ...over });
const idJag = (over: Record<string, unknown> = {}) => ({ issuer: 'https://as.a.example', jwks: JWKS, emailDomains: ['a.example'], clients: [{ clientId: 'partner', scopes: ['mcp:read'] }], ...over });

describe('RFC 7523 §3 trusted issuers: federation configuration', () => {
  it('defaults to no trusted issuer at all', () => {
    expect(FederationSchema.parse(undefined)).toMatchObject({ workloadIssuers: [], idJagIssuers: [], devAllowedHosts: [] });
  });

  it('fills the defaults of a workload issuer (claim sub, asymmetric algorithms, bounded lifetime)', () => {
    const parsed = FederationSchema.parse({ workloadIssuers: [workload()] });
    expect(parsed.workloadIssuers[0]).toMatchObject({ audience: [], maxLifetime: 3600, algorithms: ['ES256', 'RS256', 'EdDSA'], rules: [{ claim: 'sub', equals: 'repo:a/b', clientId: 'ci' }] });
    expect(FederationSchema.parse({ idJagIssuers: [idJag()] }).idJagIssuers[0]).toMatchObject({ subjectClaim: 'email', maxLifetime: 600, users: {} });
  });

  it('refuses an issuer with both jwks and jwksUri, or neither', () => {
    expect(() => FederationSchema.parse({ workloadIssuers: [workload({ jwksUri: 'https://ci.example/jwks' })] })).toThrow(/exactly one of jwks or jwksUri/);
    expect(() => FederationSchema.parse({ idJagIssuers: [idJag({ jwks: undefined })] })).toThrow(/exactly one of jwks or jwksUri/);
  });

  it('refuses symmetric and unsecured algorithms (RFC 8725 §3.1)', () => {
    expect(() => FederationSchema.parse({ workloadIssuers: [workload({ algorithms: ['HS256'] })] })).toThrow();
    expect(() => FederationSchema.parse({ idJagIssuers: [idJag({ algorithms: ['none'] })] })).toThrow();
  });

  it('refuses a workload rule mapping to both or neither an agent and a client', () => {
    expect(() => FederationSchema.parse({ workloadIssuers: [workload({ rules: [{ equals: 'x', clientId: 'c', agentId: 'agt_1' }] })] })).toThrow(/exactly one of agentId or clientId/);
    expect(() => FederationSchema.parse({ workloadIssuers: [workload({ rules: [{ equals: 'x' }] })] })).toThrow(/exactly one of agentId or clientId/);
    expect(() => FederationSchema.parse({ workloadIssuers: [workload({ rules: [] })] })).toThrow();
  });

  it('refuses an ID-JAG issuer trusted for no client, or a client policy without scopes', () => {
    expect(() => FederationSchema.parse({ idJagIssuers: [idJag({ clients: [] })] })).toThrow();
    expect(() => FederationSchema.parse({ idJagIssuers: [idJag({ clients: [{ clientId: 'partner', scopes: [] }] })] })).toThrow();
  });

  it('refuses an ID-JAG issuer mapping users by email without emailDomains (any domain, ours included, would be believed)', () => {
    expect(() => FederationSchema.parse({ idJagIssuers: [idJag({ emailDomains: [] })] })).toThrow(/needs emailDomains/);
    expect(() => FederationSchema.parse({ idJagIssuers: [idJag({ emailDomains: undefined, subjectClaim: 'email' })] })).toThrow(/needs emailDomains/);
    // Mapping by sub names each user explicitly: no domain list needed.
    expect(FederationSchema.parse({ idJagIssuers: [idJag({ emailDomains: undefined, subjectClaim: 'sub', users: { s: 'usr_1' } })] }).idJagIssuers).toHaveLength(1);
  });

  it('refuses the loopback JWKS allowance in production', () => {
    const env = { NODE_ENV: 'production', MANDATE_SECRET_KEY: randomBytes(32).toString('base64url'), MANDATE_ISSUER: 'https://a.example', MANDATE_DATA_DIR: mkdtempSync(join(tmpdir(), 'mandate-fed-')) };
    expect(() => loadConfig(env, { federation: { devAllowedHosts: ['127.0.0.1:9'] } })).toThrow(/federation.devAllowedHosts is a development allowance/);
    expect(loadConfig(env, { federation: { workloadIssuers: [workload()] } }).federation.workloadIssuers).toHaveLength(1);
  });
});

describe('federated issuer policies: administrator scopes and acr mappings', () => {
  const idToken = (over: Record<string, unknown> = {}) => ({ issuer: 'https://op.a.example', jwks: JWKS, audiences: ['rp'], emailDomains: ['a.example'], clients: [{ clientId: 'partner', scopes: ['mcp:read'] }], ...over });

  it('refuses administrator scopes in an ID-JAG or ID token issuer policy (another issuer\'s assertion never yields mandate:admin or mandate:scim:…)', () => {
    for (const scope of ['mandate:admin', 'mandate:scim:write']) {
      expect(() => FederationSchema.parse({ idJagIssuers: [idJag({ clients: [{ clientId: 'partner', scopes: ['mcp:read', scope] }] })] })).toThrow(/administrator scopes/);
      expect(() => FederationSchema.parse({ idTokenIssuers: [idToken({ clients: [{ clientId: 'partner', scopes: [scope] }] })] })).toThrow(/administrator scopes/);
    }
    // A user's own Mandate scopes are not administrator scopes.
    expect(FederationSchema.parse({ idJagIssuers: [idJag({ clients: [{ clientId: 'partner', scopes: ['mandate:agents'] }] })] }).idJagIssuers).toHaveLength(1);
  });

  it('takes acrMappings to our classes only, none by default (an unmapped acr is dropped)', () => {
    expect(FederationSchema.parse({ idJagIssuers: [idJag()] }).idJagIssuers[0]?.acrMappings).toEqual({});
    expect(FederationSchema.parse({ idTokenIssuers: [idToken({ acrMappings: { loa3: 'urn:mandate:acr:mfa' } })] }).idTokenIssuers[0]?.acrMappings).toEqual({ loa3: 'urn:mandate:acr:mfa' });
    expect(() => FederationSchema.parse({ idJagIssuers: [idJag({ acrMappings: { loa3: 'urn:partner:strong' } })] })).toThrow();
  });
});
