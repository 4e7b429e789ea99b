/** Issued access tokens by jti, so JWTs can be introspected (RFC 7662) and revoked (RFC 7009). */
import type { Selectable } from 'kysely';
import type { AccessTokensTable } from '../db-types.ts';
import type { AccessTokenRecord } from '../records.ts';
import type { Storage } from '../storage.ts';
import { withTransaction, type RepoContext, type StorageKind } from '../context.ts';
import { appendRevocationEvents } from './revocations.ts';
import { revokeLiveGrantless, tokenEvents } from './grants.ts';
import { affected, execute, first } from '../statements.ts';

function fromRow(row: Selectable<AccessTokensTable>): AccessTokenRecord {
  return {
    jti: row.jti,
    grantId: row.grant_id,
    clientId: row.client_id,
    userId: row.user_id,
    scope: row.scope,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

const INSERT =
  'insert into access_tokens (jti, grant_id, client_id, user_id, scope, expires_at, created_at, revoked_at) values (?, ?, ?, ?, ?, ?, ?, ?)';

/**
 * One retention chunk: the next `limit` expired rows, found through access_tokens_expires_at, deleted
 * by jti. Expired rows are gone once deleted, so each chunk starts again from the index's low end
 * at no cost (no cursor). PostgreSQL: `= any(array(...))` runs the subquery once and probes the
 * primary key per jti (live-grants.ts inJsonList), where `in (select ...)` may plan a semi-join scan.
 */
export function purgeStatement(kind: StorageKind): string {
  const chunk = 'select jti from access_tokens where expires_at < ? order by expires_at limit ?';
  return kind === 'sqlite' ? `delete from access_tokens where jti in (${chunk})` : `delete from access_tokens where jti = any(array(${chunk}))`;
}
const PURGE = { sqlite: purgeStatement('sqlite'), postgres: purgeStatement('postgres') } as const;

/** Every issued token is one insert here, so these statements are precompiled (statements.ts). */
export function accessTokensRepository(ctx: RepoContext): Storage['accessTokens'] {
  return {
    async create(r) {
      await execute(ctx, INSERT, [r.jti, r.grantId, r.clientId, r.userId, r.scope, r.expiresAt, r.createdAt, r.revokedAt]);
    },
    async get(jti) {
      const row = await first<Selectable<AccessTokensTable>>(ctx, 'select * from access_tokens where jti = ?', [jti]);
      return row ? fromRow(row) : null;
    },
    /** False when absent or already revoked. Appends the token's revocation event (CO-1) in the same transaction. */
    revoke(jti, at, reason = 'token_revoked') {
      return withTransaction(ctx, async (db) => {
        const tx = { ...ctx, db, inTransaction: true };
        const row = await first<{ expires_at: number }>(tx, 'update access_tokens set revoked_at = ? where jti = ? and revoked_at is null returning expires_at', [at, jti]);
        if (row === undefined) return false;
        if (row.expires_at > at) await appendRevocationEvents(ctx, db, [{ jti, grantId: null, expiresAt: row.expires_at, revokedAt: at, reason }]);
        return true;
      });
    },
    /** Unexpired tokens only, with their events, in one transaction (grants.ts revokeLiveGrantless). */
    revokeGrantlessByClient(clientId, at, reason) {
      return withTransaction(ctx, async (db) => {
        const rows = await revokeLiveGrantless(db, (eb) => eb('client_id', '=', clientId), at);
        await appendRevocationEvents(ctx, db, tokenEvents(rows, at, reason));
        return rows.length;
      });
    },
    /** Deletes up to `limit` rows with expires_at < before (a token expiring exactly at `before` stays). */
    async purgeExpired(before, limit) {
      return affected(ctx, PURGE[ctx.kind], [before, limit]);
    },
  };
}
