/**
 * Audit ingest (AU-1, BR-2): resource servers (MCP servers using @mandate/mcp) report every tool
 * call — user, agent, client, tool, decision, reason — so the authorization server's hash-chained
 * audit trail holds the whole story, not only issuance.
 *
 *   1. the caller authenticates as a confidential client      (RFC 6749 §2.3)   authenticateClient
 *   2. the client was registered by an operator with the
 *      `mandate:audit` scope                                   (this server)     checkIngestAllowed
 *   3. the batch is well formed                                (zod)             AuditBatchSchema
 *   4. each event is appended once: its idempotency key is
 *      remembered in the same transaction as the append, so a
 *      redelivered spool (at-least-once) lands exactly once    (storage.replay)  ingest
 *
 * Credentials: HTTP Basic, or `client_id` / `client_secret` / `client_assertion(_type)` as top-level
 * members of the JSON body (the same names as the form parameters of RFC 6749 §2.3.1 / RFC 7523 §2.2).
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import { AccessDeniedError, InvalidRequestError } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import { scopeTokens } from '../checks/scope.ts';
import type { ClientRecord } from '../storage/records.ts';
import { Params, readJsonObject } from '../http/params.ts';
import { authenticateClient } from '../clients/authenticate.ts';
import { inTransaction } from '../grants/shared/commit.ts';
import { Paths } from './paths.ts';
import { isSelfRegistered } from '../clients/self-registered.ts';

/** The client scope that lets a resource server write to the audit trail. */
export const AUDIT_INGEST_SCOPE = 'mandate:audit';
/** The audit event name of a reported tool call. */
export const TOOL_CALL_EVENT = 'mcp.tool_call';
/**
 * Security events a resource server reports besides tool calls: a request refused at authentication
 * (bad token, wrong audience, invalid or replayed DPoP proof) and a tools/list. Recorded under their
 * own names; an event without `event` is a tool call.
 */
export const RESOURCE_SERVER_EVENTS = [TOOL_CALL_EVENT, 'mcp.auth_failure', 'mcp.tools_list'] as const;
/** Idempotency keys are kept this long: a spool delivered later than this could be recorded twice. */
export const IDEMPOTENCY_RETENTION_SECONDS = 400 * 24 * 3600;
export const MAX_BATCH_EVENTS = 500;
const MAX_BODY_BYTES = 1024 * 1024;

const CREDENTIAL_MEMBERS = ['client_id', 'client_secret', 'client_assertion', 'client_assertion_type'] as const;

const id = z.string().min(1).max(255);
const optionalText = (max: number) => z.string().max(max).nullish();

export const ToolCallEventSchema = z
  .object({
    /** Idempotency key chosen by the resource server (a UUID): redelivery of the same event is ignored. */
    id: z.string().regex(/^[A-Za-z0-9._:-]{8,128}$/, 'id must be 8-128 characters of A-Z a-z 0-9 . _ : -'),
    event: z.enum(RESOURCE_SERVER_EVENTS).optional(),
    /** When the call happened at the resource server (epoch seconds). */
    time: z.number().int().nonnegative(),
    tool: z.string().min(1).max(255),
    /** allow; deny (policy); challenge (401/403 step-up asked); error (the tool failed). */
    decision: z.enum(['allow', 'deny', 'challenge', 'error']),
    reason: optionalText(2000),
    userId: id.nullish(),
    agentId: id.nullish(),
    /** The OAuth client the caller's token was issued to. */
    clientId: id.nullish(),
    scope: optionalText(4000),
    /** The resource server's canonical URI (RFC 8707). */
    resource: optionalText(2000),
    ip: optionalText(64),
    /** Non-secret details: the touched entity, the policy ids that decided, the jti, … */
    data: z.record(z.string(), z.unknown()).nullish(),
  })
  .strict();

export const AuditBatchSchema = z.object({ events: z.array(ToolCallEventSchema).min(1).max(MAX_BATCH_EVENTS) }).passthrough();

export type ToolCallEvent = z.infer<typeof ToolCallEventSchema>;

export function registerAuditIngestRoutes(app: Hono, ctx: ServerContext): void {
  app.post(Paths.auditEvents, async (c) => {
    const body = await readJsonObject(c, MAX_BODY_BYTES);
    const client = await authenticateClient(ctx, c, credentialParams(body), { endpoint: 'audit' });
    checkIngestAllowed(client);
    const batch = parseBatch(body);
    const result = await ingest(ctx, client, batch.events);
    c.header('Cache-Control', 'no-store');
    return c.json(result, 200);
  });
}

/** Step 1 input: the credential members of the JSON body as the Params authenticateClient reads. */
function credentialParams(body: Record<string, unknown>): Params {
  const entries: [string, string][] = [];
  for (const name of CREDENTIAL_MEMBERS) {
    const value = body[name];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw new InvalidRequestError(`The '${name}' member must be a string.`);
    entries.push([name, value]);
  }
  return new Params(entries);
}

/** Step 2. Only operator-registered confidential clients: a self-registered client never writes the audit trail. */
export function checkIngestAllowed(client: ClientRecord): void {
  if (client.tokenEndpointAuthMethod === 'none') {
    throw new AccessDeniedError('Audit ingest requires a confidential client; public clients cannot report audit events.');
  }
  if (isSelfRegistered(client)) {
    throw new AccessDeniedError('Audit ingest is only open to clients registered by an operator (configuration or admin API).');
  }
  if (!scopeTokens(client.scope).includes(AUDIT_INGEST_SCOPE)) {
    throw new AccessDeniedError(`This client is not registered with the ${AUDIT_INGEST_SCOPE} scope, which audit ingest requires.`);
  }
}

/** Step 3. */
function parseBatch(body: Record<string, unknown>): { events: ToolCallEvent[] } {
  const parsed = AuditBatchSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.join('.') : '';
    throw new InvalidRequestError(`Invalid audit batch${where ? ` at ${where}` : ''}: ${issue?.message ?? 'malformed'}.`);
  }
  return { events: parsed.data.events };
}

/** Step 4. One transaction for the batch: either every new event is recorded with its key, or none. */
async function ingest(ctx: ServerContext, reporter: ClientRecord, events: ToolCallEvent[]): Promise<{ accepted: number; duplicates: number }> {
  return inTransaction(ctx, async (tx) => {
    let accepted = 0;
    const now = tx.now();
    for (const event of events) {
      // Keys are per reporter: one resource server can never suppress another's events.
      const first = await tx.storage.replay.remember(`audit-ingest:${reporter.clientId}`, event.id, now + IDEMPOTENCY_RETENTION_SECONDS, now);
      if (!first) continue;
      await tx.audit.record({
        event: event.event ?? TOOL_CALL_EVENT,
        result: event.decision === 'allow' ? 'success' : 'failure',
        userId: event.userId ?? null,
        agentId: event.agentId ?? null,
        clientId: event.clientId ?? null,
        grantedScope: event.scope ?? null,
        resource: event.resource ?? null,
        ip: event.ip ?? null,
        reason: event.reason ?? null,
        data: { ...(event.data ?? {}), tool: event.tool, decision: event.decision, event_id: event.id, occurred_at: event.time, reported_by: reporter.clientId },
      });
      accepted += 1;
    }
    return { accepted, duplicates: events.length - accepted };
  });
}
