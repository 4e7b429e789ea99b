/**
 * Periodic retention sweep: deletes rows nobody can use or needs as evidence any more, so the
 * database does not grow without bound. `before` is now − `graceSeconds`. Every delete is a plain
 * statement over rows that can no longer change meaning, so several instances sweeping at once
 * only race to delete the same rows (idempotent). The tables that can hold a large backlog are
 * deleted in chunks of PURGE_CHUNK rows, each its own short statement, so the SQLite writer is
 * never held by one long delete. Access tokens are deleted PURGE_CHUNK expired rows at a time
 * (every row read is deleted, so each chunk starts again from the oldest expiry). Sessions, codes and refresh tokens are walked in keyset chunks:
 * sessions and codes in (expires_at, key) order over their expiry indexes, reading expired rows
 * only (repositories/expiry-walk.ts); refresh tokens in primary-key order, since a revoked grant's
 * unexpired rows are candidates too. Each chunk reads PURGE_CHUNK rows and checks grant liveness
 * for those rows' grants only, so its cost follows the chunk, not the number of tokens in the
 * database; the walk resumes where the previous sweep stopped, so a table larger than one sweep's
 * budget is still covered.
 *
 * Purged (docs/storage-schema.md, "Retention"):
 * - access_tokens, id_tokens, revocation_events, par_requests, interactions, upstream_login_states,
 *   totp_enrollments, sessions: expires_at < before (an expired row is refused like an absent one).
 * - authorization_codes: expires_at < before and either unconsumed, or consumed for a grant whose
 *   tree holds no unrevoked token expiring at or after `before` (repositories/live-grants.ts): a
 *   replayed code revokes its grant tree (RFC 6749 §4.1.2, RFC 9700 §4.2.4), so the consumed row is
 *   kept exactly while there is something to revoke.
 * - refresh_tokens: expired before `before`, or of a grant revoked before `before`, and either
 *   never rotated, or rotated in a grant tree without live tokens (the same check as codes: reuse
 *   of a rotated token revokes the tree, RFC 9700 §4.14.2, whether or not its grant is revoked).
 *
 * Deliberately NOT purged:
 * - a rotated refresh token of a grant that still holds a live token, even past its own expiry
 *   or its grant's revocation:
 *   presenting it is reuse whatever its expiry (grants/refresh-token/load.ts) and revokes the
 *   family (RFC 9700 §4.14.2). Refresh tokens slide (each rotation gets a fresh ttl.refreshToken,
 *   up to the family's end, ttl.refreshTokenAbsolute), so a family in use keeps one such row per
 *   refresh until then.
 * - audit_events: append-only hash chain.
 * - grants, consents: liveness records without a purge-able expiry.
 */
import { REVOCATION_EXPIRY_LEEWAY } from './repositories/revocations.ts';
import type { Logger } from 'pino';
import type { Storage } from './storage.ts';

export interface MaintenanceOptions {
  /** Seconds between sweeps; 0 disables. */
  purgeIntervalSeconds: number;
  /** Seconds a row is kept past its expiry. */
  graceSeconds: number;
  /** Rows per chunk; PURGE_CHUNK unless given (tests use small chunks to cross chunk boundaries). */
  chunkSize?: number;
  /** Keyset chunks per table per sweep; MAX_KEYSET_CHUNKS unless given (tests use a small budget to cross sweeps). */
  maxKeysetChunks?: number;
}

export interface Maintenance {
  /** Runs one sweep now; never throws (failures are logged). Returns rows deleted per table. */
  sweep(): Promise<Record<string, number>>;
  /** True while the periodic sweep is scheduled. */
  readonly active: boolean;
  /** Cancels the schedule and waits for a sweep in progress, so storage can be closed after. */
  stop(): Promise<void>;
}

/** Rows per DELETE of the keyset purges (and rows read per keyset chunk): a short write transaction even on a slow disk. */
export const PURGE_CHUNK = 1000;
/**
 * Keyset chunks per table per sweep: a huge backlog is worked off over several sweeps, never in one
 * endless loop. 10,000 chunks of 1,000 rows is 10 M rows read per 300 s sweep, above what issuance
 * writes (refresh rotation at ~3,500/s writes ~1 M rows per sweep; the earlier budget of 100 chunks,
 * 100 k rows, let such a table outgrow its purge). Each chunk is its own short statement, so a long
 * walk delays no request by more than one chunk.
 */
export const MAX_KEYSET_CHUNKS = 10_000;

type KeysetPurge = (before: number, limit: number, after: string | null) => Promise<{ deleted: number; next: string | null }>;

/**
 * Walks a table in keyset chunks from `cursor.at` until its end or `maxChunks` chunks. A chunk's
 * size bounds the rows it reads, not only those it deletes, so the budget can end the walk midway:
 * the cursor then carries over to the next sweep instead of restarting at the top, where rows
 * that are kept (replay evidence) would otherwise use up every sweep's budget.
 */
async function keyset(purge: KeysetPurge, before: number, size: number, maxChunks: number, cursor: { at: string | null }): Promise<number> {
  let total = 0;
  for (let i = 0; i < maxChunks; i++) {
    const { deleted, next } = await purge(before, size, cursor.at);
    total += deleted;
    cursor.at = next;
    if (next === null) break;
  }
  return total;
}

/**
 * Deletes in chunks of `size` until a chunk comes back short, for tables whose purge deletes every
 * row it reads (no kept rows), so each chunk restarts from the top. No chunk budget: every chunk
 * deletes `size` rows, and a cap would let issuance outrun the purge (client_credentials at
 * 7,000/s writes 2.1 M access-token rows per 300 s sweep); chunking is for short writer holds.
 */
async function chunked(purge: (before: number, limit: number) => Promise<number>, before: number, size: number): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await purge(before, size);
    total += deleted;
    if (deleted < size) return total;
  }
}

type KeysetTable = 'sessions' | 'authorization_codes' | 'refresh_tokens';

interface PurgeRun {
  readonly storage: Storage;
  readonly now: number;
  /** now − grace (see the header). */
  readonly before: number;
  readonly chunkSize: number;
  readonly maxKeysetChunks: number;
  /** Per table: where its keyset walk resumes (null: from the start). Lives as long as the Maintenance. */
  readonly cursors: Record<KeysetTable, { at: string | null }>;
}

/** Each entry purges what its table no longer needs. */
const PURGES: ReadonlyArray<readonly [string, (run: PurgeRun) => Promise<number>]> = [
  // A JWT access token cannot verify past exp (+ a resource server's small clock tolerance, within
  // grace). The largest table (a row per token, client_credentials included): plain chunks.
  ['access_tokens', (r) => chunked((...a) => r.storage.accessTokens.purgeExpired(...a), r.before, r.chunkSize)],
  // An ID token past exp (+ tolerance) is refused as a subject token by its signature check alone.
  ['id_tokens', (r) => chunked((...a) => r.storage.idTokens.purgeExpired(...a), r.before, r.chunkSize)],
  // An event's expires_at is its token's (or grant's) last possible use, plus the leeway resource
  // servers allow: the feed still publishes it that long (revocation/feed.ts), whatever the grace.
  ['revocation_events', ({ storage, now, before }) => storage.revocations.purgeExpired(Math.min(before, now - REVOCATION_EXPIRY_LEEWAY))],
  // Single-use requests that can no longer be consumed once expired.
  ['par_requests', ({ storage, before }) => storage.par.purgeExpired(before)],
  ['interactions', ({ storage, before }) => storage.interactions.purgeExpired(before)],
  ['upstream_login_states', ({ storage, before }) => storage.upstreamIdentities.states.purgeExpired(before)],
  ['totp_enrollments', ({ storage, before }) => storage.totpEnrollments.purgeExpired(before)],
  // A row per login, refresh and authorization: keyset chunks. Order does not matter: the code and
  // refresh rules read which grants hold live tokens, and the only unexpired tokens purged here are
  // refresh tokens of grants revoked before the cutoff (refused already; live-grants.ts counts them,
  // so a purge can only make a later chunk's tree check stricter, never delete evidence it needs).
  ['sessions', (r) => keyset((...a) => r.storage.sessions.purgeExpired(...a), r.before, r.chunkSize, r.maxKeysetChunks, r.cursors.sessions)],
  ['authorization_codes', (r) => keyset((...a) => r.storage.codes.purgeExpired(...a), r.before, r.chunkSize, r.maxKeysetChunks, r.cursors.authorization_codes)],
  ['refresh_tokens', (r) => keyset((...a) => r.storage.refreshTokens.purgeExpired(...a), r.before, r.chunkSize, r.maxKeysetChunks, r.cursors.refresh_tokens)],
];

export function startMaintenance(storage: Storage, options: MaintenanceOptions, logger: Logger, now: () => number): Maintenance {
  let running: Promise<Record<string, number>> | null = null;
  const cursors: PurgeRun['cursors'] = { sessions: { at: null }, authorization_codes: { at: null }, refresh_tokens: { at: null } };
  const chunkSize = Math.max(1, Math.trunc(options.chunkSize ?? PURGE_CHUNK));
  const maxKeysetChunks = Math.max(1, Math.trunc(options.maxKeysetChunks ?? MAX_KEYSET_CHUNKS));

  async function runOnce(): Promise<Record<string, number>> {
    const at = now();
    const run: PurgeRun = { storage, now: at, before: at - options.graceSeconds, chunkSize, maxKeysetChunks, cursors };
    const deleted: Record<string, number> = {};
    for (const [table, purge] of PURGES) {
      try {
        deleted[table] = await purge(run);
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
