/**
 * Options of createMandateMcp, and their defaults.
 */
import type { ReplayCacheLimits } from '../token/replay-cache.ts';
import type { AuthFailureCoalescerOptions } from '../audit/auth-failure-coalescer.ts';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { AuthContext, MandateHooks, RevocationSource, ToolDefinition } from './types.ts';
import type { IntrospectionOptions } from '../token/introspection.ts';
import type { FetchLike } from '../token/discovery.ts';
import type { RevocationFeedOptions } from '../token/revocation-feed.ts';

export interface MandateMcpOptions {
  /** This server's canonical URI (RFC 8707 / RFC 9728 `resource`): the exact `aud` it accepts. */
  resource: string;
  /** The authorization server's issuer identifier (RFC 8414). */
  issuer: string;
  serverInfo: { name: string; version: string };
  tools: ToolDefinition[];
  /** RFC 9728 `scopes_supported`; defaults to the tools' scopes. `offline_access` is never advertised (SCOPE-1). */
  scopesSupported?: string[];
  /**
   * The `scope` of a 401 challenge without a more precise need (SCOPE-1): what a client should ask
   * for first. Defaults to `scopesSupported`; name fewer for least privilege (clients step up later).
   */
  challengeScope?: string[];
  /** Scope → the scopes it implies (STEP-2), e.g. { 'hr:write': ['hr:read'] }; transitive. */
  scopeHierarchy?: Record<string, string[]>;
  /** acr values from weakest to strongest; a stronger one satisfies a weaker minimum (RFC 9470). */
  acrRanking?: string[];
  /** JWS algorithms accepted for access tokens (asymmetric only). */
  algorithms?: string[];
  /** exp / nbf / iat leeway, seconds (default 30). */
  leewaySeconds?: number;
  /**
   * 'exact' (default): the token's aud must be this resource and nothing else, so a token minted
   * for several resources cannot be replayed here by another of them (RFC 9068 §4, RFC 8707 §2).
   * 'includes': aud may name other resources too (jose's check alone).
   */
  audience?: 'exact' | 'includes';
  dpop?: {
    /** Refuse Bearer tokens: only DPoP-bound ones (RFC 9728 dpop_bound_access_tokens_required). */
    required?: boolean;
    algs?: string[];
    /** Require a server nonce (RFC 9449 §9). */
    nonce?: boolean;
    iatWindowSeconds?: number;
    /**
     * RFC 9449 §11.1 replay cache bounds: live proofs kept (default 100 000) and per key (default
     * 1 000, about 16 requests a second per key with the 60 s window). A full cache refuses new
     * proofs until entries expire rather than forget a live one.
     */
    replayCache?: ReplayCacheLimits;
  };
  /**
   * 'jwt' (default): JWTs verified locally, other tokens introspected when `introspection` is set.
   * 'introspection': every token introspected (fails closed when the AS is down).
   */
  tokenMode?: 'jwt' | 'introspection';
  introspection?: IntrospectionOptions;
  /**
   * Checked after validation: `'introspection'` (RFC 7662 per token, from `introspection`),
   * `{ feed }` (the AS's signed /revocations feed, polled), or your own RevocationSource.
   */
  revocation?: RevocationSource | 'introspection' | { feed: RevocationFeedOptions };
  hooks?: MandateHooks;
  /** Extra resources / prompts on each per-request McpServer. */
  configure?: (server: McpServer, auth: AuthContext) => void;
  /** The MCP endpoint path (default: the path of `resource`). */
  mcpPath?: string;
  /** Claims naming the user in the delegation profile (default ['on_behalf_of'], as Mandate's token exchange issues). */
  userClaims?: string[];
  agentClaim?: string;
  clientTrust?: (clientId: string, claims: Readonly<Record<string, unknown>>) => string;
  /** Largest accepted Authorization / DPoP header, bytes (default 8192). */
  maxHeaderBytes?: number;
  /** Largest accepted JSON-RPC body, bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /**
   * Refused requests are audited as mcp.auth_failure; like ones (same error, description and
   * client network: an IPv4 address, an IPv6 /64) once per `intervalSeconds` (60), the rest counted into the next event's `suppressed`,
   * so forged tokens sent in a loop cannot flood the audit trail. `maxKeys` (10 000) bounds memory.
   */
  authFailureAudit?: AuthFailureCoalescerOptions;
  /** Signature verdicts reused per token text (default 10 000 entries, re-verified every 60 s; maxEntries 0 = off). */
  verifiedTokenCache?: { maxEntries?: number; maxAgeSeconds?: number };
  /** JWKS cache: unknown-kid refetch cooldown and maximum age, ms. */
  jwks?: { cooldownMs?: number; maxAgeMs?: number };
  fetch?: FetchLike;
  httpTimeoutMs?: number;
  /** Epoch seconds (tests move time). */
  now?: () => number;
}

export const DEFAULT_ACR_RANKING = ['urn:mandate:acr:pwd', 'urn:mandate:acr:mfa', 'urn:mandate:acr:phr'];
