/** A verified caller (the shape the core hands the hooks), for policy and shaping tests. */
import type { AuthContext, PolicyRequest } from '../../src/core/types.ts';

export function authContext(overrides: Partial<AuthContext> = {}): AuthContext {
  return {
    token: 'header.payload.signature',
    tokenType: 'Bearer',
    source: 'jwt',
    claims: {},
    issuer: 'http://127.0.0.1:4400',
    subject: 'usr_manager',
    user: 'usr_manager',
    agent: 'agt_assistant',
    actorChain: [{ sub: 'agt_assistant' }],
    clientId: 'claude-desktop',
    scopes: ['hr:read'],
    audience: ['http://127.0.0.1:4410/mcp'],
    acr: 'urn:mandate:acr:pwd',
    authTime: 1_700_000_000,
    amr: ['pwd'],
    cnf: undefined,
    authorizationDetails: [],
    expiresAt: 1_700_000_600,
    issuedAt: 1_700_000_000,
    jti: 'jti-1',
    clientTrustLevel: 'standard',
    ...overrides,
  };
}

export function policyRequest(auth: AuthContext, tool: string, overrides: Partial<PolicyRequest> = {}): PolicyRequest {
  return {
    auth,
    tool,
    action: tool,
    resource: undefined,
    phase: 'call',
    args: {},
    context: { acr: auth.acr, authTime: auth.authTime, now: 1_700_000_100, chainDepth: auth.actorChain.length, clientTrustLevel: auth.clientTrustLevel, scopes: auth.scopes },
    ...overrides,
  };
}
