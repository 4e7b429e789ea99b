/**
 * Security events besides tool calls (AU-1): a request refused at authentication (a bad, expired,
 * revoked or foreign-audience token, an invalid or replayed DPoP proof, RFC 6750 §3.1 / RFC 9449
 * §7.1) and a tools/list (what the caller was shown). They go to the same sink as tool calls,
 * through its optional `recordSecurity` hook, so an `AuditSink` written for tool calls alone keeps
 * working unchanged.
 *
 * No token material is ever put in an event: no token, no proof, no claim read from a token that
 * failed verification — only the error code, its description (clamped on the wire) and the scheme used.
 */
import type { AuditSink, AuthContext, ToolAuditEvent } from '../core/types.ts';
import type { SessionSettings } from '../core/session.ts';
import { DpopCapacityError } from '../core/errors.ts';
import type { AuthFailureCoalescer, CoalescedRefusal } from './auth-failure-coalescer.ts';
import { callSafely } from '../core/ignore-rejection.ts';

/** Who called, as every event of an authenticated request records it. */
export type CallerFields = Pick<ToolAuditEvent, 'user' | 'agent' | 'actorChain' | 'clientId' | 'scopes' | 'resource' | 'jti'>;

export interface AuthFailureAuditEvent extends Pick<ToolAuditEvent, 'time' | 'resource' | 'ip'> {
  event: 'mcp.auth_failure';
  /** The error answered: invalid_token, invalid_dpop_proof, insufficient_scope, … */
  error: string;
  /** The error description: never the token. */
  reason: string;
  /** The Authorization scheme the request used. */
  scheme: 'Bearer' | 'DPoP' | undefined;
  /**
   * Like refusals (same error, description and client network: an IPv4 address, an IPv6 /64)
   * counted but not recorded one by one since the previous event of that kind
   * (auth-failure-coalescer.ts); absent when there were none. `ip` is still this refusal's own
   * address; a summary's is that of the refusals counted, or their /64 when there were several.
   */
  suppressed?: number;
  /** Refusals from more client addresses than are tracked one by one, counted together (no `ip`). */
  aggregated?: true;
  /** Records no new refusal: only `suppressed`, the count of like ones no later event reported. */
  summary?: true;
}

export interface ToolsListAuditEvent extends Pick<ToolAuditEvent, 'time' | 'ip'>, CallerFields {
  event: 'mcp.tools_list';
  /** The tools the caller was shown (RS-3: only those it may see). */
  tools: string[];
  reason: undefined;
}

export type SecurityAuditEvent = AuthFailureAuditEvent | ToolsListAuditEvent;
export type MandateAuditEvent = ToolAuditEvent | SecurityAuditEvent;

/** An AuditSink that also takes security events (createAuditSink's sink is one). */
export interface SecurityAuditSink extends AuditSink {
  recordSecurity(event: SecurityAuditEvent): void;
}

/** The settings an audit event is built from: this server's resource, its clock, its sink. */
type AuditSettings = Pick<SessionSettings, 'resource' | 'now' | 'hooks'>;

function securitySink(s: AuditSettings): SecurityAuditSink | undefined {
  const sink = s.hooks.audit;
  return sink !== undefined && typeof (sink as Partial<SecurityAuditSink>).recordSecurity === 'function' ? (sink as SecurityAuditSink) : undefined;
}

export function callerFields(s: Pick<SessionSettings, 'resource'>, auth: AuthContext): CallerFields {
  return {
    user: auth.user,
    agent: auth.agent,
    actorChain: auth.actorChain.map((a) => a.sub),
    clientId: auth.clientId,
    scopes: auth.scopes,
    resource: s.resource,
    jti: auth.jti,
  };
}

/** What the handler knows about a refused request (a ResourceServerError and the request). */
export interface RefusedRequest {
  error: Error & { error: string; status: number };
  scheme: 'Bearer' | 'DPoP' | undefined;
  ip: string | undefined;
}

/**
 * Which refusals are security events: a credential was presented and refused (401/403). Not the
 * 401 without any token (every MCP client's first request, RFC 9728 discovery), not the DPoP nonce
 * round trip (RFC 9449 §8, routine), not a full replay cache (our capacity, not the caller's
 * credential), not a 503 (the AS unreachable) or a 400/413 (bad input).
 */
function isSecurityRefusal(e: RefusedRequest['error']): boolean {
  if (e instanceof DpopCapacityError) return false;
  return (e.status === 401 || e.status === 403) && e.error !== '' && e.error !== 'use_dpop_nonce';
}

function authFailureEvent(s: Pick<SessionSettings, 'resource' | 'now'>, c: CoalescedRefusal, scheme: RefusedRequest['scheme']): AuthFailureAuditEvent {
  return {
    time: s.now(),
    event: 'mcp.auth_failure',
    error: c.error,
    reason: c.description,
    // A summary or an aggregate stands for other requests than this one: not its scheme.
    scheme: c.summary || c.aggregated ? undefined : scheme,
    resource: s.resource,
    ip: c.ip,
    ...(c.suppressed > 0 ? { suppressed: c.suppressed } : {}),
    ...(c.aggregated ? { aggregated: true as const } : {}),
    ...(c.summary ? { summary: true as const } : {}),
  };
}

/** The handler's one call on a refused request, like ones coalesced (auth-failure-coalescer.ts); never throws. */
export function auditAuthFailure(s: AuditSettings, coalescer: AuthFailureCoalescer, r: RefusedRequest): void {
  const sink = securitySink(s);
  if (!sink || !isSecurityRefusal(r.error)) return;
  for (const c of coalescer.admit(r.error.error, r.error.message, r.ip, s.now())) recordSafely(sink, authFailureEvent(s, c, r.scheme));
}

/** AuditSink contract: recording never fails the request, nor (an async sink rejecting) the process. */
function recordSafely(sink: SecurityAuditSink, event: SecurityAuditEvent): void {
  callSafely(() => sink.recordSecurity(event));
}

/** A tool call's event to the sink: as recordSafely, a sink that throws or rejects changes nothing. */
export function recordToolCall(sink: AuditSink | undefined, event: ToolAuditEvent): void {
  if (sink) callSafely(() => sink.record(event));
}

/** A tools/list answered for `auth`: which tools it was shown. Never throws. */
export function auditToolsList(s: AuditSettings, auth: AuthContext, tools: string[], ip: string | undefined): void {
  const sink = securitySink(s);
  if (sink) recordSafely(sink, { time: s.now(), event: 'mcp.tools_list', tools, reason: undefined, ...callerFields(s, auth), ip });
}
