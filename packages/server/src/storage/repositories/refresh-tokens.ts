/** Refresh tokens (RFC 9700 §4.14.2: rotated on every use), stored as SHA-256 of the token. */
import type { Selectable } from 'kysely';
import type { RefreshTokensTable } from '../db-types.ts';
import type { RefreshTokenRecord } from '../records.ts';
import type { Storage } from '../storage.ts';
import { fromJson, fromJsonOrNull, toJson, toJsonOrNull, type RepoContext } from '../context.ts';
import { affected, execute, first } from '../statements.ts';

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
  };
}
