/** Refresh tokens (RFC 9700 §4.14.2: rotated on every use), stored as SHA-256 of the token. */
import type { Selectable } from 'kysely';
import type { RefreshTokensTable } from '../db-types.ts';
import type { RefreshTokenRecord } from '../records.ts';
import type { Storage } from '../storage.ts';
import { fromJson, fromJsonOrNull, toJson, toJsonOrNull, type RepoContext } from '../context.ts';
import { affected, execute, first } from '../statements.ts';
import { LIVE_GRANTS_CTE } from './live-grants.ts';

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
 * A row goes when
 * - it expired before the cutoff and was never rotated: presenting it is invalid_grant with or
 *   without the row (grants/refresh-token/checks.ts), and it is no reuse evidence;
 * - it expired before the cutoff and its grant holds no live token: a reuse would revoke nothing;
 * - its grant was revoked before the cutoff: every token of the grant is refused already.
 * NOT merely because it expired: a rotated token is reuse whatever its expiry
 * (grants/refresh-token/load.ts checks rotated_at first), and while the family's newest token
 * lives, presenting an old one must still revoke the family (RFC 9700 §4.14.2).
 * Bounded by `limit`. An expired token is refused before rotation (grants/refresh-token/index.ts),
 * so a row selected as unrotated cannot become reuse evidence while the DELETE runs.
 */
const PURGE = `${LIVE_GRANTS_CTE}
delete from refresh_tokens where token_hash in (
  select token_hash from refresh_tokens
  where (expires_at < ? and (rotated_at is null or grant_id not in (select id from live_grants)))
     or grant_id in (select id from grants where revoked_at is not null and revoked_at < ?)
  limit ?
)`;

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
    async purgeExpired(before, limit) {
      return affected(ctx, PURGE, [before, before, before, before, limit]);
    },
  };
}
