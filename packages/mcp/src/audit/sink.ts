/**
 * Audit of every tool call (AU-1, BR-2), delivered to the authorization server's
 * `POST /audit/events` in batches.
 *
 *   record()  -> line appended to the spool (write-ahead; never blocks on the network, never throws)
 *   flush()   -> seal the active segment, send every sealed segment oldest first, delete on 200
 *   AS down   -> segments stay on disk; the next flush (timer, with backoff) sends them
 *   400       -> the AS found an event malformed: the batch is halved until the refused event(s)
 *                stand alone; only those are set aside (`<segment>.rejected`), every other event is
 *                delivered (one bad event must never keep the rest out of the trail)
 *
 * Events are clamped to the AS's limits when recorded (wire.ts), and batches are cut by size as well
 * as by count, so a 400 should only ever come from a spool line damaged on disk.
 *
 * Each event carries a random idempotency key; the AS records a key once, so a segment sent twice
 * (a crash after sending, before deleting) is recorded exactly once.
 */
import type { SecurityAuditSink } from './events.ts';
import { AuditSpool } from './spool.ts';
import { postBatch, type DeliveryOutcome, type IngestCredentials } from './transport.ts';
import { clampWireEvent, MAX_BATCH_BYTES, toWireEvent } from './wire.ts';

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

export interface MandateAuditSink extends SecurityAuditSink {
  flush(): Promise<void>;
  close(): Promise<void>;
  /** Sealed segments waiting for delivery (for health checks and tests). */
  backlog(): number;
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

  /** Batches of at most batchSize events and MAX_BATCH_BYTES of JSON, in spool order. */
  function batchesOf(events: Record<string, unknown>[]): Record<string, unknown>[][] {
    const batches: Record<string, unknown>[][] = [];
    let current: Record<string, unknown>[] = [];
    let bytes = 0;
    for (const event of events) {
      const size = Buffer.byteLength(JSON.stringify(event)) + 1;
      if (current.length > 0 && (current.length >= batchSize || bytes + size > MAX_BATCH_BYTES)) {
        batches.push(current);
        current = [];
        bytes = 0;
      }
      current.push(event);
      bytes += size;
    }
    if (current.length > 0) batches.push(current);
    return batches;
  }

  /**
   * Sends a batch; on a 400 halves it until each refused event stands alone (into `refused`), so
   * k bad events among n cost about k·log2(n) extra requests and nothing else is held back.
   */
  async function send(batch: Record<string, unknown>[], refused: Record<string, unknown>[]): Promise<DeliveryOutcome> {
    const outcome = await postBatch(options.endpoint, options.credentials, batch, options.fetch ?? fetch);
    if (outcome !== 'rejected') return outcome;
    if (batch.length === 1) {
      refused.push(batch[0] as Record<string, unknown>);
      return 'delivered';
    }
    const half = Math.ceil(batch.length / 2);
    const first = await send(batch.slice(0, half), refused);
    return first === 'delivered' ? send(batch.slice(half), refused) : first;
  }

  async function deliverSegment(segment: string): Promise<boolean> {
    const { events, corrupt } = spool.read(segment);
    if (corrupt > 0) report(new Error(`audit spool ${segment}: ${corrupt} unreadable line(s) skipped (torn write)`));
    const refused: Record<string, unknown>[] = [];
    for (const batch of batchesOf(events.map(clampWireEvent))) {
      const outcome = await send(batch, refused);
      if (outcome !== 'delivered') {
        report(new Error(`audit delivery failed (${outcome}); events stay spooled in ${options.spoolDir}`));
        return false;
      }
    }
    if (refused.length > 0) {
      const kept = spool.setAside(segment, refused);
      report(new Error(`the authorization server refused ${refused.length} audit event(s) of ${segment} as malformed; the other ${events.length - refused.length} were delivered; the refused ones are kept at ${kept}`));
    } else spool.delivered(segment);
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

  function append(line: Record<string, unknown>): void {
    // After close the event still goes to the spool: the next start delivers it.
    if (closed) report(new Error('audit event recorded after close; it stays in the spool until the next start'));
    try {
      spool.append(line);
    } catch (err) {
      memory.push(line);
      report(err as Error);
    }
    if (!closed && spool.pending >= batchSize) void schedule(false);
  }

  const timer = setInterval(() => void schedule(false), interval);
  timer.unref();

  return {
    record(event) {
      append(toWireEvent(event));
    },
    recordSecurity(event) {
      append(toWireEvent(event));
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
