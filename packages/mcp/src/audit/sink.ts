/**
 * Audit of every tool call (AU-1, BR-2), delivered to the authorization server's
 * `POST /audit/events` in batches.
 *
 *   record()  -> line appended to the spool (write-ahead; never blocks on the network, never throws)
 *   flush()   -> seal the active segment, send every sealed segment oldest first, delete on 200
 *   AS down   -> segments stay on disk; the next flush (timer, with backoff) sends them
 *   400       -> the AS found the batch malformed: the segment is set aside (`*.rejected`), not lost
 *
 * Each event carries a random idempotency key; the AS records a key once, so a segment sent twice
 * (a crash after sending, before deleting) is recorded exactly once.
 */
import { randomUUID } from 'node:crypto';
import type { AuditSink, ToolAuditEvent } from '../core/types.ts';
import { AuditSpool } from './spool.ts';
import { postBatch, type IngestCredentials } from './transport.ts';

export interface AuditSinkOptions {
  /** The AS's ingest URL: `<issuer>/audit/events`. */
  endpoint: string;
  /** This resource server's confidential client, registered with the `mandate:audit` scope. */
  credentials: IngestCredentials;
  /** Directory of the spool (created when missing). */
  spoolDir: string;
  /** Events per request (the AS accepts at most 500). */
  batchSize?: number;
  /** How often buffered events are sent, in milliseconds. */
  flushIntervalMs?: number;
  /** Longest wait between retries while the AS is unreachable, in milliseconds. */
  maxBackoffMs?: number;
  /** Delivery problems (the AS down, a rejected segment, a spool write failure). Never secrets. */
  onError?: (error: Error) => void;
  fetch?: typeof fetch;
}

export interface MandateAuditSink extends AuditSink {
  flush(): Promise<void>;
  close(): Promise<void>;
  /** Sealed segments waiting for delivery (for health checks and tests). */
  backlog(): number;
}

/** Converts the core's event to the AS's wire form (endpoints/audit-ingest.ts ToolCallEventSchema). */
export function toWireEvent(event: ToolAuditEvent): Record<string, unknown> {
  const data: Record<string, unknown> = { actor_chain: event.actorChain };
  // Only the entity's identity: its attributes may hold exactly the data policy keeps from agents.
  if (event.entity) data.entity = { type: event.entity.type, id: event.entity.id };
  if (event.jti !== undefined) data.jti = event.jti;
  if (event.durationMs !== undefined) data.duration_ms = event.durationMs;
  return {
    id: randomUUID(),
    time: Math.floor(event.time),
    tool: event.tool,
    decision: event.decision,
    reason: event.reason ?? null,
    userId: event.user ?? null,
    agentId: event.agent ?? null,
    clientId: event.clientId,
    scope: event.scopes.join(' '),
    resource: event.resource,
    ip: event.ip ?? null,
    data,
  };
}

export function createAuditSink(options: AuditSinkOptions): MandateAuditSink {
  const spool = new AuditSpool(options.spoolDir);
  const batchSize = Math.min(options.batchSize ?? 100, 500);
  const interval = options.flushIntervalMs ?? 1000;
  const maxBackoff = options.maxBackoffMs ?? 60_000;
  const report = options.onError ?? (() => {});
  const memory: Record<string, unknown>[] = []; // only when the spool itself cannot be written
  let running: Promise<void> = Promise.resolve();
  let failures = 0;
  let nextAttempt = 0;
  let closed = false;

  async function deliverSegment(segment: string): Promise<boolean> {
    const { events, corrupt } = spool.read(segment);
    if (corrupt > 0) report(new Error(`audit spool ${segment}: ${corrupt} unreadable line(s) skipped (torn write)`));
    for (let i = 0; i < events.length; i += batchSize) {
      const outcome = await postBatch(options.endpoint, options.credentials, events.slice(i, i + batchSize), options.fetch ?? fetch);
      if (outcome === 'rejected') {
        report(new Error(`the authorization server refused audit segment ${segment} as malformed; kept at ${spool.reject(segment)}`));
        return true;
      }
      if (outcome !== 'delivered') {
        report(new Error(`audit delivery failed (${outcome}); events stay spooled in ${options.spoolDir}`));
        return false;
      }
    }
    spool.delivered(segment);
    return true;
  }

  async function deliver(force: boolean): Promise<void> {
    if (!force && Date.now() < nextAttempt) return;
    try {
      while (memory.length > 0) spool.append(memory.shift() as Record<string, unknown>);
    } catch (err) {
      report(err as Error);
    }
    if (spool.pending > 0) spool.seal();
    for (const segment of spool.sealed()) {
      if (!(await deliverSegment(segment))) {
        failures += 1;
        nextAttempt = Date.now() + Math.min(maxBackoff, interval * 2 ** Math.min(failures, 16));
        return;
      }
    }
    failures = 0;
    nextAttempt = 0;
  }

  function schedule(force: boolean): Promise<void> {
    running = running.then(() => deliver(force)).catch((err: unknown) => report(err as Error));
    return running;
  }

  const timer = setInterval(() => void schedule(false), interval);
  timer.unref();

  return {
    record(event) {
      const line = toWireEvent(event);
      // After close the event still goes to the spool: the next start delivers it.
      if (closed) report(new Error('audit event recorded after close; it stays in the spool until the next start'));
      try {
        spool.append(line);
      } catch (err) {
        memory.push(line);
        report(err as Error);
      }
      if (!closed && spool.pending >= batchSize) void schedule(false);
    },
    flush: () => schedule(true),
    async close() {
      closed = true;
      clearInterval(timer);
      await schedule(true);
    },
    backlog: () => spool.sealed().length,
  };
}
