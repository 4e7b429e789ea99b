/**
 * The wire form of audit events for the authorization server's `POST /audit/events`
 * (packages/server/src/endpoints/audit-ingest.ts ToolCallEventSchema, AuditBatchSchema).
 *
 * Every field is clamped to the AS's limits here, before the event reaches the spool: the AS answers
 * 400 to a whole batch when one event breaks a limit, so one oversized value (a deny reason quoting a
 * 3,000-character tool argument, a resolver's error text) must never keep other events out of the
 * trail. A clamped value ends with TRUNCATION_MARK (core/clamp-text.ts) and its field is named in `data.truncated`.
 */
import { randomUUID } from 'node:crypto';
import type { ToolAuditEvent } from '../core/types.ts';
import type { MandateAuditEvent } from './events.ts';
import { clampText } from '../core/clamp-text.ts';

/** The AS's caps (audit-ingest.ts), in UTF-16 code units as zod's `.max()` counts them. */
export const WIRE_LIMITS = {
  id: 255,
  tool: 255,
  reason: 2000,
  scope: 4000,
  resource: 2000,
  ip: 64,
  /** Our own cap on one string inside `data` (entity type and id, actor subjects, jti). */
  dataString: 255,
  /** Our own cap on the actor chain kept in `data`. */
  actorChain: 32,
  /** Our own cap on tool names listed in a tools/list event. */
  listedTools: 200,
} as const;

/** The AS refuses a body over 1 MiB; batches are cut well below it (audit-ingest.ts MAX_BODY_BYTES). */
export const MAX_BATCH_BYTES = 900 * 1024;

type WireEvent = Record<string, unknown>;

const TOP_LEVEL_TEXT: [field: string, max: number][] = [
  ['tool', WIRE_LIMITS.tool],
  ['reason', WIRE_LIMITS.reason],
  ['userId', WIRE_LIMITS.id],
  ['agentId', WIRE_LIMITS.id],
  ['clientId', WIRE_LIMITS.id],
  ['scope', WIRE_LIMITS.scope],
  ['resource', WIRE_LIMITS.resource],
  ['ip', WIRE_LIMITS.ip],
];

function clampDataString(value: unknown): unknown {
  return typeof value === 'string' ? clampText(value, WIRE_LIMITS.dataString) : value;
}

/** The known members of `data`, bounded; anything else a spool line carries is dropped. */
function clampData(data: unknown, truncated: Set<string>): WireEvent {
  const src = data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as WireEvent) : {};
  const out: WireEvent = {};
  const rawChain: unknown = src.actor_chain;
  if (Array.isArray(rawChain)) {
    const chain = rawChain.slice(0, WIRE_LIMITS.actorChain).map(clampDataString);
    if (chain.length < rawChain.length || chain.some((s, i) => s !== rawChain[i])) truncated.add('data.actor_chain');
    out.actor_chain = chain;
  }
  const entity = src.entity;
  if (entity !== null && typeof entity === 'object' && !Array.isArray(entity)) {
    const { type, id } = entity as WireEvent;
    out.entity = { type: clampDataString(type), id: clampDataString(id) };
    if ((out.entity as WireEvent).type !== type || (out.entity as WireEvent).id !== id) truncated.add('data.entity');
  }
  if (typeof src.jti === 'string') {
    out.jti = clampDataString(src.jti);
    if (out.jti !== src.jti) truncated.add('data.jti');
  }
  if (typeof src.duration_ms === 'number') out.duration_ms = src.duration_ms;
  if (typeof src.error === 'string') out.error = clampDataString(src.error);
  if (typeof src.scheme === 'string') out.scheme = clampDataString(src.scheme);
  if (Number.isSafeInteger(src.suppressed) && (src.suppressed as number) > 0) out.suppressed = src.suppressed;
  if (src.aggregated === true) out.aggregated = true;
  if (src.summary === true) out.summary = true;
  const rawTools: unknown = src.tools;
  if (Array.isArray(rawTools)) {
    const tools = rawTools.slice(0, WIRE_LIMITS.listedTools).map(clampDataString);
    if (tools.length < rawTools.length || tools.some((t, i) => t !== rawTools[i])) truncated.add('data.tools');
    out.tools = tools;
  }
  return out;
}

/**
 * An event in wire form with every field within the AS's limits. Applied when an event is recorded
 * and again to every spooled line before delivery (a spool written by an older version).
 */
export function clampWireEvent(event: WireEvent): WireEvent {
  const out: WireEvent = { ...event };
  const truncated = new Set<string>();
  for (const [field, max] of TOP_LEVEL_TEXT) {
    const value = out[field];
    if (typeof value !== 'string') continue;
    // The AS wants ids of at least one character: an empty one is "none".
    if (value === '' && field !== 'reason' && field !== 'scope') out[field] = null;
    else if (value.length > max) {
      out[field] = clampText(value, max);
      truncated.add(field);
    }
  }
  out.data = clampData(out.data, truncated);
  const earlier = (event.data as WireEvent | undefined)?.truncated;
  if (Array.isArray(earlier)) for (const f of earlier) if (typeof f === 'string' && f.length <= 32) truncated.add(f);
  if (truncated.size > 0) (out.data as WireEvent).truncated = [...truncated].sort();
  return out;
}

/** Converts an audit event to the AS's wire form, clamped (see the module comment). */
export function toWireEvent(event: MandateAuditEvent | ToolAuditEvent): WireEvent {
  const data: WireEvent = {};
  let tool: string;
  let decision: string;
  if (event.event === 'mcp.auth_failure') {
    // A request refused before any tool: the AS records it under its own event name.
    tool = '-';
    decision = 'deny';
    data.error = event.error;
    if (event.scheme !== undefined) data.scheme = event.scheme;
    if (event.suppressed !== undefined) data.suppressed = event.suppressed;
    if (event.aggregated) data.aggregated = true;
    if (event.summary) data.summary = true;
  } else {
    tool = event.event === 'mcp.tools_list' ? 'tools/list' : event.tool;
    decision = event.event === 'mcp.tools_list' ? 'allow' : event.decision;
    data.actor_chain = event.actorChain;
    if (event.event === 'mcp.tools_list') data.tools = event.tools;
    // Only the entity's identity: its attributes may hold exactly the data policy keeps from agents.
    else if (event.entity) data.entity = { type: event.entity.type, id: event.entity.id };
    if (event.jti !== undefined) data.jti = event.jti;
    if (event.event === 'mcp.tool_call' && event.durationMs !== undefined) data.duration_ms = event.durationMs;
  }
  const identity = event.event === 'mcp.auth_failure' ? undefined : event;
  return clampWireEvent({
    id: randomUUID(),
    ...(event.event === 'mcp.tool_call' ? {} : { event: event.event }),
    time: Number.isFinite(event.time) && event.time > 0 ? Math.floor(event.time) : 0,
    tool,
    decision,
    reason: event.reason ?? null,
    userId: identity?.user ?? null,
    agentId: identity?.agent ?? null,
    clientId: identity?.clientId ?? null,
    scope: identity ? identity.scopes.join(' ') : '',
    resource: event.resource,
    ip: event.ip ?? null,
    data,
  });
}
