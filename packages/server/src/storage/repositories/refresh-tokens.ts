/** Refresh tokens (RFC 9700 §4.14.2: rotated on every use), stored as SHA-256 of the token. */
import type { Selectable } from 'kysely';
import type { RefreshTokensTable } from '../db-types.ts';
import type { RefreshTokenRecord } from '../records.ts';
import type { Storage } from '../storage.ts';
import { fromJson, fromJsonOrNull, toJson, toJsonOrNull, type RepoContext, type StorageKind } from '../context.ts';
import { affected, execute, first } from '../statements.ts';
import { inJsonList, liveSeedGrantsCte, purgeDelete } from './live-grants.ts';

type Row = Selectable<RefreshTokensTable>;

function fromRow(row: Row): RefreshTokenRecord {
  return {
    tokenHash: row.token_hash,
    id: row.id,
    grantId: row.grant_id,
    clientId: row.client_id,
    userId: row.user_id,
    scope: row.scope,
    resources: fromJson(row.resources),
    authorizationDetails: fromJsonOrNull(row.authorization_details),
    dpopJkt: row.dpop_jkt,
    authTime: row.auth_time,
    acr: row.acr,
    amr: fromJson(row.amr),
    nonce: row.nonce,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    rotatedAt: row.rotated_at,
    revokedAt: row.revoked_at,
  };
}

const INSERT =
  'insert into refresh_tokens (token_hash, id, grant_id, client_id, user_id, scope, resources, authorization_details, dpop_jkt, auth_time, acr, amr, nonce, created_at, expires_at, rotated_at, revoked_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const SELECT = 'select * from refresh_tokens where token_hash = ?';
const ROTATE = 'update refresh_tokens set rotated_at = ? where token_hash = ? and rotated_at is null returning *';
/**
 * Retention in keyset chunks (storage/maintenance.ts): one chunk is the next `limit` rows after
 * the cursor in primary-key order, each with its grant's revocation time (a grants primary-key
 * lookup), so every statement reads at most `limit` rows and a sweep walks the table once. The
 * revoked-grant rule applies to unexpired rows too, so every row is a candidate and the walk is
 * the primary key's, not an expiry index's (unlike codes and sessions, expiry-walk.ts): a row of a
 * revoked grant shows nothing of it in its own columns (revokeTree may have missed it), so no
 * index on refresh_tokens can narrow the walk to candidates.
 */
export const PAGE = `select r.token_hash, r.grant_id, r.expires_at, r.rotated_at, g.revoked_at as grant_revoked_at
from refresh_tokens r left join grants g on g.id = r.grant_id
where r.token_hash > ? order by r.token_hash limit ?`;
/**
 * A row of the chunk goes when it expired before the cutoff, or its grant was revoked before the
 * cutoff, and
 * - it was never rotated: presenting it is invalid_grant with or without the row (expired:
 *   grants/refresh-token/checks.ts; revoked grant: checkGrantActive), and it is no reuse evidence;
 * - or it was rotated and its grant's tree holds no live token: a reuse would revoke nothing.
 * NOT merely because it expired, and NOT merely because its grant was revoked: presenting a rotated
 * token is reuse before any expiry, revocation or grant check (grants/refresh-token/load.ts) and
 * runs grants.revokeTree, which revokes whatever unrevoked token the tree still holds (RFC 9700
 * §4.14.2) — on a revoked grant too, whose tree can hold one (a token issued while revokeTree ran,
 * or a grant written revoked: live-grants.ts). So a revoked grant's rotated rows get the same
 * live-tree check as consumed authorization codes (codes.ts).
 * The whole rule is re-checked here (several instances may sweep at once). A row rotated after
 * the chunk was read goes only if its grant was seeded (then the tree check is exact);
 * otherwise it waits for the next sweep. The grant's revocation is a scalar subquery (a primary-key
 * probe per row) rather than `grant_id in (revoked grants)`, which PostgreSQL would hash from
 * every revoked grant on each statement (live-grants.ts).
 */
export function purgeStatement(kind: StorageKind): string {
  return `${liveSeedGrantsCte(kind)}
delete from refresh_tokens
where ${inJsonList(kind, 'token_hash')}
  and (expires_at < ? or (select g.revoked_at from grants g where g.id = refresh_tokens.grant_id) < ?)
  and (rotated_at is null or (grant_id in (select id from seed) and grant_id not in (select id from live)))`;
}
const PURGE = { sqlite: purgeStatement('sqlite'), postgres: purgeStatement('postgres') } as const;

interface PageRow {
  token_hash: string;
  grant_id: string;
  expires_at: number | string;
  rotated_at: number | string | null;
  grant_revoked_at: number | string | null;
}

/** On the refresh grant's path: precompiled (statements.ts). */
export function refreshTokensRepository(ctx: RepoContext): Storage['refreshTokens'] {
  return {
    async create(r) {
      await execute(ctx, INSERT, [
        r.tokenHash,
        r.id,
        r.grantId,
        r.clientId,
        r.userId,
        r.scope,
        toJson(r.resources),
        toJsonOrNull(r.authorizationDetails),
        r.dpopJkt,
        r.authTime,
        r.acr,
        toJson(r.amr),
        r.nonce,
        r.createdAt,
        r.expiresAt,
        r.rotatedAt,
        r.revokedAt,
      ]);
    },
    async get(tokenHash) {
      const row = await first<Row>(ctx, SELECT, [tokenHash]);
      return row ? fromRow(row) : null;
    },
    /**
     * Compare-and-set on rotated_at: the UPDATE's WHERE clause decides the one winner. Expiry
     * and revocation are the caller's checks on the returned record, so a revoked or expired
     * token is reported rather than hidden.
     */
    async rotate(tokenHash, now) {
      const won = await first<Row>(ctx, ROTATE, [now, tokenHash]);
      if (won) return { record: fromRow(won), first: true };
      const row = await first<Row>(ctx, SELECT, [tokenHash]);
      return row ? { record: fromRow(row), first: false } : null;
    },
    /** False when absent or already revoked. */
    async revoke(tokenHash, at) {
      return (await affected(ctx, 'update refresh_tokens set revoked_at = ? where token_hash = ? and revoked_at is null', [at, tokenHash])) > 0;
    },
    async purgeExpired(before, limit, after = null) {
      const page = (await execute<PageRow>(ctx, PAGE, [after ?? '', limit])).rows;
      const last = page[page.length - 1];
      const next = page.length < limit || last === undefined ? null : last.token_hash;
      const expired = (r: PageRow) => Number(r.expires_at) < before;
      const grantRevoked = (r: PageRow) => r.grant_revoked_at !== null && Number(r.grant_revoked_at) < before;
      const candidates = page.filter((r) => expired(r) || grantRevoked(r));
      if (candidates.length === 0) return { deleted: 0, next };
      // Only rotated rows hinge on the tree check: their grants seed it.
      const seeds = [...new Set(candidates.filter((r) => r.rotated_at !== null).map((r) => r.grant_id))];
      const hashes = candidates.map((r) => r.token_hash);
      const deleted = await purgeDelete(ctx, PURGE[ctx.kind], [JSON.stringify(seeds), before, before, JSON.stringify(hashes), before, before]);
      return { deleted, next };
    },
  };
}
