/**
 * Builds the AuthContext from verified claims (RFC 9068 §2.2, RFC 8693 §4.1 `act`).
 * Two delegation profiles (DL-2): impersonation (sub = user, act = agent) and delegation
 * (sub = agent, a claim names the user).
 */
import type { ActorEntry, AuthContext, AuthorizationDetail } from '../core/types.ts';

export interface IdentityOptions {
  /** Claims that name the user in the delegation profile, tried in order. */
  userClaims: string[];
  /** The claim naming the agent. */
  agentClaim: string;
  clientTrust: (clientId: string, claims: Readonly<Record<string, unknown>>) => string;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** RFC 8693 §4.1: nested `act` objects, the current actor outermost. Bounded against abuse. */
export function actorChain(claims: Readonly<Record<string, unknown>>): ActorEntry[] {
  const chain: ActorEntry[] = [];
  let act = claims.act;
  while (act !== null && typeof act === 'object' && !Array.isArray(act) && chain.length < 32) {
    const { act: inner, ...entry } = act as Record<string, unknown>;
    chain.push({ ...entry, sub: str(entry.sub) ?? '' } as ActorEntry);
    act = inner;
  }
  return chain;
}

export function scopesOf(value: unknown): string[] {
  return typeof value === 'string' ? value.split(' ').filter((s) => s !== '') : [];
}

function audienceOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((a): a is string => typeof a === 'string') : [];
}

function details(value: unknown): AuthorizationDetail[] {
  if (!Array.isArray(value)) return [];
  return value.filter((d): d is AuthorizationDetail => d !== null && typeof d === 'object' && typeof (d as { type?: unknown }).type === 'string');
}

export function buildAuthContext(
  token: string,
  tokenType: 'Bearer' | 'DPoP',
  source: 'jwt' | 'introspection',
  claims: Readonly<Record<string, unknown>>,
  o: IdentityOptions,
): AuthContext {
  const subject = str(claims.sub) ?? '';
  const clientId = str(claims.client_id) ?? '';
  const namedUser = o.userClaims.map((c) => str(claims[c])).find((u) => u !== undefined);
  // Delegation profile: `sub` is the current actor itself, the older actors are in `act`.
  const chain = namedUser !== undefined ? [{ sub: subject }, ...actorChain(claims)] : actorChain(claims);
  const agent = str(claims[o.agentClaim]) ?? str(chain[0]?.agent_id) ?? str(chain[0]?.sub);
  // A token whose subject is its own client or the agent it names (client_credentials, a workload
  // agent token; RFC 9068 §2.2) has no user: `sub` is never read as a user when it is the agent.
  // Introspection answers carry the same agent claims as the JWT (server introspect.ts), so both
  // modes name the same caller.
  const user = namedUser ?? (subject !== '' && subject !== clientId && subject !== agent ? subject : undefined);
  const cnf = claims.cnf !== null && typeof claims.cnf === 'object' ? (claims.cnf as { jkt?: string }) : undefined;
  return {
    token,
    tokenType,
    source,
    claims,
    issuer: str(claims.iss) ?? '',
    subject,
    user,
    agent,
    actorChain: chain,
    clientId,
    scopes: scopesOf(claims.scope),
    audience: audienceOf(claims.aud),
    acr: str(claims.acr),
    authTime: num(claims.auth_time),
    amr: Array.isArray(claims.amr) ? claims.amr.filter((a): a is string => typeof a === 'string') : [],
    cnf,
    authorizationDetails: details(claims.authorization_details),
    expiresAt: num(claims.exp) ?? 0,
    issuedAt: num(claims.iat),
    jti: str(claims.jti),
    clientTrustLevel: o.clientTrust(clientId, claims),
  };
}
