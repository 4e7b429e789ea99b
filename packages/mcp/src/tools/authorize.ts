/**
 * Per-tool authorization, as a table of checks in the order a client can fix them:
 *   required scopes (hierarchy-aware)   → challenge 403 insufficient_scope, every needed scope (STEP-1)
 *   minimum acr / max_age               → challenge 401 insufficient_user_authentication (RFC 9470)
 *   RAR authorization_details           → deny (RFC 9396 §5: the token does not cover this transaction)
 *   Cedar policy (PolicyEngine hook)    → deny with the policy's reason
 */
import type { AuthContext, Decision, EntityRef, PolicyEngine, ToolDefinition } from '../core/types.ts';
import { InsufficientScopeError, InsufficientUserAuthenticationError, type ResourceServerError } from '../core/errors.ts';
import type { ScopeHierarchy } from './scopes.ts';
import { stepUpNeed } from './acr.ts';
import { clampText } from '../core/clamp-text.ts';

export interface ToolAuthorizer {
  hierarchy: ScopeHierarchy;
  acrRanking: string[];
  policy: PolicyEngine | undefined;
  now: () => number;
  /** Renders the WWW-Authenticate of a challenge. */
  challenge: (error: ResourceServerError, auth: AuthContext) => string;
}

/**
 * `detail`: what went wrong inside a resolver or policy engine that failed. For the audit hook
 * only; the caller gets the generic `reason` (a database error message is not the caller's business).
 */
export type ToolDecision = Decision & { resource: EntityRef | undefined; detail?: string };

/** An exception message can be long (a stack of SQL): the audit row gets the start of it. */
const DETAIL_MAX = 200;

/** All the scopes a client should hold for this tool: what it has plus what is missing (C-7 union). */
function challengeScopes(auth: AuthContext, required: string[], missing: string[]): string[] {
  return [...new Set([...auth.scopes.filter((s) => s !== 'offline_access'), ...required, ...missing])];
}

function scopeCheck(t: ToolAuthorizer, tool: ToolDefinition, auth: AuthContext): Decision | undefined {
  const required = tool.policy?.requiredScopes ?? [];
  const missing = t.hierarchy.missing(auth.scopes, required);
  if (missing.length === 0) return undefined;
  const scope = challengeScopes(auth, required, missing);
  const error = new InsufficientScopeError(`the ${tool.name} tool requires the scope ${missing.join(' ')}`, { scope });
  return { kind: 'challenge', status: 403, error: 'insufficient_scope', description: error.message, wwwAuthenticate: t.challenge(error, auth), scope };
}

function stepUpCheck(t: ToolAuthorizer, tool: ToolDefinition, auth: AuthContext): Decision | undefined {
  if (!tool.policy) return undefined;
  const need = stepUpNeed(auth, tool.policy, t.acrRanking, t.now());
  if (!need) return undefined;
  const error = new InsufficientUserAuthenticationError(`${tool.name}: ${need.description}`, {
    scope: challengeScopes(auth, tool.policy.requiredScopes ?? [], []),
    ...(need.acrValues ? { acrValues: need.acrValues } : {}),
    ...(need.maxAge !== undefined ? { maxAge: need.maxAge } : {}),
  });
  return {
    kind: 'challenge',
    status: 401,
    error: 'insufficient_user_authentication',
    description: error.message,
    wwwAuthenticate: t.challenge(error, auth),
    ...(need.acrValues ? { acrValues: need.acrValues } : {}),
    ...(need.maxAge !== undefined ? { maxAge: need.maxAge } : {}),
  };
}

function detailsCheck(tool: ToolDefinition, auth: AuthContext, args: unknown, phase: 'list' | 'call'): Decision | undefined {
  const rule = tool.policy?.authorizationDetails;
  if (!rule) return undefined;
  const ofType = auth.authorizationDetails.filter((d) => d.type === rule.type);
  if (ofType.length === 0) return { kind: 'deny', reason: `the token carries no authorization_details of type ${rule.type}`, code: 'authorization_details' };
  // During tools/list the arguments are unknown: the type is enough to show the tool.
  if (phase === 'list' || !rule.match) return undefined;
  if (ofType.some((d) => rule.match!(d, args, auth))) return undefined;
  return { kind: 'deny', reason: `the authorized ${rule.type} transaction does not cover this call`, code: 'authorization_details' };
}

async function policyCheck(t: ToolAuthorizer, tool: ToolDefinition, auth: AuthContext, args: unknown, phase: 'list' | 'call', resource: EntityRef | undefined): Promise<Decision | undefined> {
  if (!t.policy) return undefined;
  const cedar = tool.policy?.cedar;
  const decision = await t.policy.authorize({
    auth,
    tool: tool.name,
    action: cedar?.action ?? tool.name,
    resource,
    phase,
    args: phase === 'call' ? args : undefined,
    context: {
      acr: auth.acr,
      authTime: auth.authTime,
      now: t.now(),
      chainDepth: auth.actorChain.length,
      clientTrustLevel: auth.clientTrustLevel,
      scopes: [...t.hierarchy.expand(auth.scopes)],
      ...(phase === 'call' && cedar?.context ? cedar.context(args, auth) : {}),
    },
  });
  return decision.allow ? undefined : { kind: 'deny', reason: decision.reason, code: 'policy' };
}

/** A resolver or policy engine that throws denies the call (fail closed) instead of failing the request. */
async function failClosed<T>(what: string, fn: () => Promise<T>): Promise<T | { kind: 'deny'; reason: string; code: string; detail: string }> {
  try {
    return await fn();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { kind: 'deny', reason: `${what} failed`, code: 'policy_error', detail: clampText(message, DETAIL_MAX) };
  }
}

export async function authorizeTool(t: ToolAuthorizer, tool: ToolDefinition, auth: AuthContext, args: unknown, phase: 'list' | 'call'): Promise<ToolDecision> {
  const early = scopeCheck(t, tool, auth) ?? stepUpCheck(t, tool, auth) ?? detailsCheck(tool, auth, args, phase);
  if (early) return { ...early, resource: undefined };
  const resolver = phase === 'call' ? tool.policy?.cedar?.resource : undefined;
  const resolved = resolver ? await failClosed('resolving the resource', async () => ({ entity: await resolver(args, auth) })) : { entity: undefined };
  if ('kind' in resolved) return { ...resolved, resource: undefined };
  const resource = resolved.entity;
  const decision = await failClosed('the policy engine', () => policyCheck(t, tool, auth, args, phase, resource));
  return { ...(decision ?? { kind: 'allow' as const }), resource };
}

/** RS-3: tools/list shows a tool when it may be called now or after a step-up of authentication. */
export function visible(tool: ToolDefinition, d: Decision): boolean {
  if (d.kind === 'allow') return true;
  if (d.kind === 'challenge' && d.error === 'insufficient_user_authentication') return true;
  return tool.policy?.hideWhenUnauthorized === false;
}

export function describeFor(tool: ToolDefinition, auth: AuthContext): string {
  return tool.policy?.descriptions?.find((d) => d.when(auth))?.description ?? tool.description;
}
