/** Issued access tokens by jti, so JWTs can be introspected (RFC 7662) and revoked (RFC 7009). */
import type { Selectable } from 'kysely';
import type { AccessTokensTable } from '../db-types.ts';
import type { AccessTokenRecord } from '../records.ts';
import type { Storage } from '../storage.ts';
import { withTransaction, type RepoContext, type StorageKind } from '../context.ts';
import { appendRevocationEvents } from './revocations.ts';
import { revokeGrantlessWithDerived, revokeWithDerived } from './derived-grants.ts';
import { eventsOf } from './tree-revocation.ts';
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

const SELECT = 'select * from access_tokens where jti = ?';

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
      const row = await first<Selectable<AccessTokensTable>>(ctx, SELECT, [jti]);
      return row ? fromRow(row) : null;
    },
    /** The exchange's re-read of its subject token (token-exchange/issue.ts): see derived-grants.ts revokeWithDerived for the lock. */
    async getForShare(jti) {
      const row = await first<Selectable<AccessTokensTable>>(ctx, ctx.kind === 'postgres' ? `${SELECT} for share` : SELECT, [jti]);
      return row ? fromRow(row) : null;
    },
    async revoke(jti, at, reason = 'token_revoked') {
      return (await revokeWithDerived(ctx, jti, at, reason)).revoked;
    },
    revokeWithDerived(jti, at, reason = 'token_revoked') {
      return revokeWithDerived(ctx, jti, at, reason);
    },
    /**
     * Unexpired tokens only (tree-revocation.ts revokeLiveGrantless) and the trees exchanged from
     * them (derived-grants.ts), with all their events, in one transaction.
     */
    revokeGrantlessByClient(clientId, at, reason) {
      return withTransaction(ctx, async (db) => {
        const revoked = await revokeGrantlessWithDerived({ ...ctx, db, inTransaction: true }, db, (eb) => eb('client_id', '=', clientId), at, reason);
        await appendRevocationEvents(ctx, db, eventsOf(revoked));
        return revoked.tokens;
      });
    },
    /** Deletes up to `limit` rows with expires_at < before (a token expiring exactly at `before` stays). */
    async purgeExpired(before, limit) {
      return affected(ctx, PURGE[ctx.kind], [before, limit]);
    },
  };
}
