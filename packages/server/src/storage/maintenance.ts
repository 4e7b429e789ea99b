/**
 * Periodic retention sweep: deletes rows whose expiry passed more than `graceSeconds` ago, so the
 * database does not grow without bound. Every delete is a plain `expires_at < cutoff`, so several
 * instances sweeping at once only race to delete the same rows (idempotent).
 *
 * Deliberately NOT purged (docs/storage-schema.md, "Retention"):
 * - audit_events: append-only hash chain.
 * - refresh_tokens: a rotated token's row is what detects reuse and revokes its grant family
 *   (RFC 9700 §4.14.2); it must live as long as the grant does.
 * - authorization_codes: a consumed code's row is what detects a replayed code and revokes the
 *   grant issued from it (RFC 9700 §4.5), whatever the code's expiry.
 * - sessions, grants, consents: liveness records without (or beyond) a purge-able expiry.
 */
import type { Logger } from 'pino';
import type { Storage } from './storage.ts';

export interface MaintenanceOptions {
  /** Seconds between sweeps; 0 disables. */
  purgeIntervalSeconds: number;
  /** Seconds a row is kept past its expiry. */
  graceSeconds: number;
}

export interface Maintenance {
  /** Runs one sweep now; never throws (failures are logged). Returns rows deleted per table. */
  sweep(): Promise<Record<string, number>>;
  /** True while the periodic sweep is scheduled. */
  readonly active: boolean;
  /** Cancels the schedule and waits for a sweep in progress, so storage can be closed after. */
  stop(): Promise<void>;
}

/** Each entry purges rows with expires_at < before; `before` is already now − grace. */
const PURGES: ReadonlyArray<readonly [string, (s: Storage, before: number) => Promise<number>]> = [
  // A JWT access token cannot verify past exp (+ a resource server's small clock tolerance, within grace).
  ['access_tokens', (s, before) => s.accessTokens.purgeExpired(before)],
  // An event's expires_at is its token's (or grant's) last possible use: after it nobody needs it.
  ['revocation_events', (s, before) => s.revocations.purgeExpired(before)],
  // Single-use requests that can no longer be consumed once expired.
  ['par_requests', (s, before) => s.par.purgeExpired(before)],
  ['interactions', (s, before) => s.interactions.purgeExpired(before)],
  ['upstream_login_states', (s, before) => s.upstreamIdentities.states.purgeExpired(before)],
  ['totp_enrollments', (s, before) => s.totpEnrollments.purgeExpired(before)],
];

export function startMaintenance(storage: Storage, options: MaintenanceOptions, logger: Logger, now: () => number): Maintenance {
  let running: Promise<Record<string, number>> | null = null;

  async function runOnce(): Promise<Record<string, number>> {
    const before = now() - options.graceSeconds;
    const deleted: Record<string, number> = {};
    for (const [table, purge] of PURGES) {
      try {
        deleted[table] = await purge(storage, before);
      } catch (err) {
        // One failing table (a lock timeout, a closed pool) must not stop the others or the process.
        // Only the table and the error message: rows never reach the log.
        logger.warn({ table, error: err instanceof Error ? err.message : String(err) }, 'maintenance purge failed');
      }
    }
    const total = Object.values(deleted).reduce((a, b) => a + b, 0);
    if (total > 0) logger.debug({ deleted }, 'maintenance purge');
    return deleted;
  }

  function sweep(): Promise<Record<string, number>> {
    // Never overlap sweeps of one process: a slow database would otherwise pile them up.
    running ??= runOnce().finally(() => {
      running = null;
    });
    return running;
  }

  let timer: NodeJS.Timeout | undefined;
  if (options.purgeIntervalSeconds > 0) {
    timer = setInterval(() => void sweep(), options.purgeIntervalSeconds * 1000);
    // The sweep alone must never keep the process alive.
    timer.unref();
  }

  return {
    sweep,
    get active() {
      return timer !== undefined;
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      if (running) await running;
    },
  };
}
