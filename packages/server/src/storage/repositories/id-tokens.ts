/**
 * ID tokens we issued, by jti, with the grant each came from (CO-1, migration 0016). Written once
 * per ID token in the issuing transaction of the authorization code and refresh grants, read when
 * one is presented as a subject token (grants/token-exchange/subject-token.ts), purged at expiry.
 */
import type { Selectable } from 'kysely';
import type { IdTokensTable } from '../db-types.ts';
import type { IdTokenRecord } from '../records.ts';
import type { Storage } from '../storage.ts';
import type { RepoContext, StorageKind } from '../context.ts';
import { affected, execute, first } from '../statements.ts';

function fromRow(row: Selectable<IdTokensTable>): IdTokenRecord {
  return { jti: row.jti, grantId: row.grant_id, clientId: row.client_id, userId: row.user_id, expiresAt: row.expires_at, createdAt: row.created_at };
}

/** On the code and refresh paths next to the access token's insert: precompiled (statements.ts). */
const INSERT = 'insert into id_tokens (jti, grant_id, client_id, user_id, expires_at, created_at) values (?, ?, ?, ?, ?, ?)';

/** One retention chunk through id_tokens_expires_at, as access_tokens' purgeStatement (access-tokens.ts says why `= any(array(...))`). */
function purgeStatement(kind: StorageKind): string {
  const chunk = 'select jti from id_tokens where expires_at < ? order by expires_at limit ?';
  return kind === 'sqlite' ? `delete from id_tokens where jti in (${chunk})` : `delete from id_tokens where jti = any(array(${chunk}))`;
}
const PURGE = { sqlite: purgeStatement('sqlite'), postgres: purgeStatement('postgres') } as const;

export function idTokensRepository(ctx: RepoContext): Storage['idTokens'] {
  return {
    async create(r) {
      await execute(ctx, INSERT, [r.jti, r.grantId, r.clientId, r.userId, r.expiresAt, r.createdAt]);
    },
    async get(jti) {
      const row = await first<Selectable<IdTokensTable>>(ctx, 'select * from id_tokens where jti = ?', [jti]);
      return row ? fromRow(row) : null;
    },
    async purgeExpired(before, limit) {
      return affected(ctx, PURGE[ctx.kind], [before, limit]);
    },
  };
}
