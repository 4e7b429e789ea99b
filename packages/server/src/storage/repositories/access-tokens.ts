/** Issued access tokens by jti, so JWTs can be introspected (RFC 7662) and revoked (RFC 7009). */
import { sql, type Selectable } from 'kysely';
import type { AccessTokensTable } from '../db-types.ts';
import type { AccessTokenRecord } from '../records.ts';
import type { Storage } from '../storage.ts';
import { withTransaction, type RepoContext, type StorageKind } from '../context.ts';
import { appendRevocationEvents } from './revocations.ts';
import { lockSeeds, revokeLiveGrantless, revokeTrees, tokenEvents } from './grants.ts';
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
 * RFC 7009 §2.1 revokes one access token; CO-1 wants everything derived from it gone too: the
 * grants exchanged from it (subject_token_jti, migration 0016) hang off the token's own grant, so
 * no other walk reaches them. One transaction: the token row (its event when unexpired), then
 * those trees through revokeTrees (grants, refresh and access tokens, events).
 *
 * PostgreSQL: an exchange of the token holds its row `for share` until it commits (getForShare),
 * so the update here waits for it and the walk that follows sees its grant. The trees already
 * derived are locked first, `for update` in id order: grants before token rows, the order of
 * revokeTree (a revocation of the token's own grant locks its whole tree, these grants included,
 * then updates this token's row), so the two never lock in opposite orders.
 */
async function revokeWithDerived(ctx: RepoContext, jti: string, at: number, reason: string): Promise<{ revoked: boolean; revokedGrants: string[] }> {
  return withTransaction(ctx, async (db) => {
    const tx = { ...ctx, db, inTransaction: true };
    const derived = sql`subject_token_jti = ${jti}`;
    await lockSeeds(tx, db, derived);
    const row = await first<{ expires_at: number }>(tx, 'update access_tokens set revoked_at = ? where jti = ? and revoked_at is null returning expires_at', [at, jti]);
    if (row !== undefined && row.expires_at > at) await appendRevocationEvents(ctx, db, [{ jti, grantId: null, expiresAt: row.expires_at, revokedAt: at, reason }]);
    // Also when the token was revoked before: a grant exchanged from it in a race is caught here.
    const revokedGrants = await revokeTrees(tx, derived, at, reason);
    return { revoked: row !== undefined, revokedGrants };
  });
}

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
    /** The exchange's re-read of its subject token (token-exchange/issue.ts): see revokeWithDerived for the lock. */
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
