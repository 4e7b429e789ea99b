/**
 * The shared vocabulary of @mandate/mcp: the verified caller, tool declarations, decisions and the
 * hooks (policy engine, result shaper, audit sink, downstream tokens) the core calls.
 * Agreed in /tmp/mandate-team/MCP-SDK-API.md; runtime-neutral (no framework imports).
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ZodRawShapeCompat, ShapeOutput } from '@modelcontextprotocol/sdk/server/zod-compat.js';

/** One level of an RFC 8693 §4.1 `act` chain, outermost (the current actor) first. */
export interface ActorEntry {
  sub: string;
  client_id?: string;
  agent_id?: string;
  [claim: string]: unknown;
}

/** RFC 9396 §2: one authorization details object. */
export interface AuthorizationDetail {
  type: string;
  [member: string]: unknown;
}

/** The caller, once its access token has been verified. */
export interface AuthContext {
  /** The raw access token. Never forwarded downstream (PASS-1). */
  token: string;
  tokenType: 'Bearer' | 'DPoP';
  source: 'jwt' | 'introspection';
  /** All JWT claims, or all introspection response members. */
  claims: Readonly<Record<string, unknown>>;
  issuer: string;
  subject: string;
  /** The human user the call is for; undefined for machine tokens (client_credentials). */
  user: string | undefined;
  /** The agent acting (an `agent_id` claim, else the current actor); undefined when none. */
  agent: string | undefined;
  /** The flattened `act` chain, current actor first; [] when none. */
  actorChain: ActorEntry[];
  clientId: string;
  /** Scopes as granted (not expanded through the hierarchy). */
  scopes: string[];
  audience: string[];
  acr: string | undefined;
  authTime: number | undefined;
  amr: string[];
  cnf: { jkt?: string } | undefined;
  authorizationDetails: AuthorizationDetail[];
  expiresAt: number;
  issuedAt: number | undefined;
  jti: string | undefined;
  /** From the `clientTrust` option; 'standard' by default. */
  clientTrustLevel: string;
}

/** A Cedar entity a tool touches. */
export interface EntityRef {
  type: string;
  id: string;
  attributes?: Record<string, unknown>;
  parents?: { type: string; id: string }[];
}

/** What a tool demands of its caller. */
export interface ToolPolicy {
  /** All required; satisfied through the scope hierarchy (STEP-2). */
  requiredScopes?: string[];
  /** RFC 9470: the weakest acceptable acr (stronger ones in the `acrRanking` option satisfy too). */
  minAcr?: string;
  /** RFC 9470: seconds allowed since auth_time. */
  maxAge?: number;
  /** RFC 9396: the token must carry a detail of this type that satisfies `match` (when given). */
  authorizationDetails?: {
    type: string;
    match?: (detail: AuthorizationDetail, args: unknown, auth: AuthContext) => boolean;
  };
  /** Cedar, through the PolicyEngine hook. */
  cedar?: {
    /** Defaults to the tool name. */
    action?: string;
    resource?: (args: unknown, auth: AuthContext) => EntityRef | undefined | Promise<EntityRef | undefined>;
    context?: (args: unknown, auth: AuthContext) => Record<string, unknown>;
  };
  /** Per-role descriptions: the first whose `when` holds wins; else the tool's description. */
  descriptions?: { when: (auth: AuthContext) => boolean; description: string }[];
  /** tools/list hides a tool the caller lacks scope or policy for (default true, RS-3). */
  hideWhenUnauthorized?: boolean;
}

/** `{ data }` is shaped by the ResultShaper then serialised; a CallToolResult passes unchanged. */
export type ToolResult = { data: unknown } | CallToolResult;

export interface ToolContext {
  auth: AuthContext;
  tool: string;
  /** PASS-1: a separate token for `audience`, obtained by token exchange. */
  downstreamToken(audience: string, scopes: string[]): Promise<string>;
  /** Runs data through the ResultShaper for `resultType`. */
  shape(data: unknown, resultType?: string): Promise<unknown>;
  /** The Cedar resource resolved for this call, if any. */
  resource: EntityRef | undefined;
  signal: AbortSignal | undefined;
}

export interface ToolDefinition<Args extends ZodRawShapeCompat = ZodRawShapeCompat> {
  name: string;
  title?: string;
  description: string;
  inputSchema?: Args;
  policy?: ToolPolicy;
  /** Resource type passed to the ResultShaper, e.g. 'HR::Employee'. */
  resultType?: string;
  handler: (args: ShapeOutput<Args>, ctx: ToolContext) => ToolResult | Promise<ToolResult>;
}

/** Helper so a tool's handler gets its argument types inferred from its schema. */
export function defineTool<Args extends ZodRawShapeCompat>(tool: ToolDefinition<Args>): ToolDefinition {
  return tool as unknown as ToolDefinition;
}

export type ChallengeError = 'insufficient_scope' | 'insufficient_user_authentication' | 'invalid_token';

export type Decision =
  | { kind: 'allow' }
  /** A plain denial: a JSON-RPC error (HTTP 200), audited as 'deny'. */
  | { kind: 'deny'; reason: string; code?: string }
  /** Step-up: an HTTP 401/403 with this WWW-Authenticate, which MCP clients act on. */
  | {
      kind: 'challenge';
      status: 401 | 403;
      error: ChallengeError;
      description: string;
      wwwAuthenticate: string;
      scope?: string[];
      acrValues?: string[];
      maxAge?: number;
    };

export interface PolicyRequest {
  auth: AuthContext;
  tool: string;
  action: string;
  /** undefined during tools/list. */
  resource: EntityRef | undefined;
  phase: 'list' | 'call';
  /** undefined during tools/list. */
  args: unknown;
  context: {
    acr: string | undefined;
    authTime: number | undefined;
    now: number;
    chainDepth: number;
    clientTrustLevel: string;
    /** Expanded through the hierarchy. */
    scopes: string[];
    [extra: string]: unknown;
  };
}

export type PolicyDecision = { allow: true; policies?: string[] } | { allow: false; reason: string; policies?: string[] };

export interface PolicyEngine {
  authorize(request: PolicyRequest): PolicyDecision | Promise<PolicyDecision>;
}

export interface ShapeRequest {
  auth: AuthContext;
  tool: string;
  resultType: string | undefined;
  data: unknown;
  resource: EntityRef | undefined;
}

export interface ResultShaper {
  shape(request: ShapeRequest): unknown;
}

export interface ToolAuditEvent {
  time: number;
  event: 'mcp.tool_call';
  tool: string;
  decision: 'allow' | 'deny' | 'challenge' | 'error';
  reason: string | undefined;
  user: string | undefined;
  agent: string | undefined;
  /** Subjects of the actor chain, current actor first. */
  actorChain: string[];
  clientId: string;
  scopes: string[];
  /** This server's canonical URI. */
  resource: string;
  entity: EntityRef | undefined;
  jti: string | undefined;
  ip: string | undefined;
  durationMs: number | undefined;
}

export interface AuditSink {
  /**
   * Should not throw or block: batching and spooling happen inside. An exception, or the rejection
   * of an async `record`, is ignored (the request goes on; the event is lost).
   */
  record(event: ToolAuditEvent): void;
  flush?(): Promise<void>;
  close?(): Promise<void>;
}

export interface DownstreamTokenProvider {
  /** RFC 8693 exchange of auth.token for audience + scopes, cached per subject + audience until expiry. */
  token(auth: AuthContext, audience: string, scopes: string[]): Promise<string>;
}

export interface MandateHooks {
  policy?: PolicyEngine;
  shaper?: ResultShaper;
  audit?: AuditSink;
  downstream?: DownstreamTokenProvider;
  /**
   * Told of every request answered 503 (the AS, its JWKS, introspection or the revocation feed
   * unreachable: `err.cause` holds the underlying error) or 500 (a fault of ours), which the
   * caller is told nothing about, and (at most once a minute) of a DPoP proof refused with 401
   * because the whole replay cache is full of live proofs (our capacity: raise
   * `dpop.replayCache.maxEntries`; one key over its own quota is not reported). For logs and alerts: never told token material. An exception, or
   * the rejection of an async hook, is ignored.
   */
  onError?: (err: unknown, info: { status: 401 | 500 | 503; path: string }) => void;
}

/** Tells whether a verified token has since been revoked. */
export interface RevocationSource {
  isRevoked(auth: AuthContext): Promise<boolean>;
  close?(): void;
}
