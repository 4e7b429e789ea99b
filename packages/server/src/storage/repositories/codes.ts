/** Authorization codes (RFC 6749 §4.1.2: single use), stored as SHA-256 of the code. */
import type { Selectable } from 'kysely';
import type { AuthorizationCodesTable } from '../db-types.ts';
import type { AuthorizationCodeRecord } from '../records.ts';
import type { Storage } from '../storage.ts';
import { fromJson, fromJsonOrNull, toFlag, toJson, toJsonOrNull, type RepoContext, type StorageKind } from '../context.ts';
import { execute, first } from '../statements.ts';
import { expiryCursorParams, nextExpiryCursor } from './expiry-walk.ts';
import { inJsonList, liveSeedGrantsCte, purgeDelete } from './live-grants.ts';

type Row = Selectable<AuthorizationCodesTable>;

function fromRow(row: Row): AuthorizationCodeRecord {
  return {
    codeHash: row.code_hash,
    grantId: row.grant_id,
    clientId: row.client_id,
    userId: row.user_id,
    redirectUri: row.redirect_uri,
    redirectUriSent: row.redirect_uri_sent === 1,
    codeChallenge: row.code_challenge,
    codeChallengeMethod: row.code_challenge_method as AuthorizationCodeRecord['codeChallengeMethod'],
    scope: row.scope,
    resources: fromJson(row.resources),
    authorizationDetails: fromJsonOrNull(row.authorization_details),
    nonce: row.nonce,
    authTime: row.auth_time,
    acr: row.acr,
    amr: fromJson(row.amr),
    dpopJkt: row.dpop_jkt,
    sessionIdHash: row.session_id_hash,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    consumedAt: row.consumed_at,
  };
}

const INSERT =
  'insert into authorization_codes (code_hash, grant_id, client_id, user_id, redirect_uri, redirect_uri_sent, code_challenge, code_challenge_method, scope, resources, authorization_details, nonce, auth_time, acr, amr, dpop_jkt, session_id_hash, created_at, expires_at, consumed_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const CONSUME = 'update authorization_codes set consumed_at = ? where code_hash = ? and consumed_at is null returning *';
const SELECT = 'select * from authorization_codes where code_hash = ?';
/**
 * Retention in keyset chunks (storage/maintenance.ts, repositories/expiry-walk.ts): one chunk is
 * the next `limit` expired codes after the cursor in (expires_at, code_hash) order, a range scan
 * of authorization_codes_expires_at. Every rule below needs expires_at < cutoff, so unexpired
 * codes are never read; kept evidence is read once per walk, and a walk resumes across sweeps.
 */
export const PAGE = `select code_hash, grant_id, expires_at, consumed_at from authorization_codes
where expires_at < ? and (expires_at, code_hash) > (?, ?) order by expires_at, code_hash limit ?`;
/**
 * Deletes the chunk's codes that expired before the cutoff and are either never consumed
 * (unusable: presenting it is invalid_grant with or without the row) or consumed for a grant
 * whose tree holds no live token any more (a replay would have nothing left to revoke). The
 * whole rule is re-checked here, so several instances sweeping at once only race to delete the
 * same rows. A code consumed after the chunk was read is deleted only if its grant was seeded
 * (then the tree check is exact); otherwise it waits for the next sweep. A code consumed while
 * this runs was expired, so it issued nothing (checkCodeExpiry runs before issuance).
 * `expires_at + 0`: a re-check only, kept off authorization_codes_expires_at, which the planner
 * would otherwise range-scan over every expired row (kept evidence included) instead of looking
 * up the chunk's keys.
 */
export function purgeStatement(kind: StorageKind): string {
  return `${liveSeedGrantsCte(kind)}
delete from authorization_codes
where ${inJsonList(kind, 'code_hash')} and expires_at + 0 < ?
  and (consumed_at is null or (grant_id in (select id from seed) and grant_id not in (select id from live)))`;
}
const PURGE = { sqlite: purgeStatement('sqlite'), postgres: purgeStatement('postgres') } as const;

type PageRow = Pick<Row, 'code_hash' | 'grant_id' | 'expires_at' | 'consumed_at'>;

/** On the authorization_code grant's path: precompiled (statements.ts). */
export function codesRepository(ctx: RepoContext): Storage['codes'] {
  return {
    async create(r) {
      await execute(ctx, INSERT, [
        r.codeHash,
        r.grantId,
        r.clientId,
        r.userId,
        r.redirectUri,
        toFlag(r.redirectUriSent),
        r.codeChallenge,
        r.codeChallengeMethod,
        r.scope,
        toJson(r.resources),
        toJsonOrNull(r.authorizationDetails),
        r.nonce,
        r.authTime,
        r.acr,
        toJson(r.amr),
        r.dpopJkt,
        r.sessionIdHash,
        r.createdAt,
        r.expiresAt,
        r.consumedAt,
      ]);
    },
    /**
     * One UPDATE decides the winner (consumed_at IS NULL is the compare); a loser reads the row
     * so the caller can revoke what the first exchange issued (RFC 6749 §4.1.2, RFC 9700 §4.5).
     * Expiry is the caller's check: an expired code is still reported, never silently absent.
     */
    async consume(codeHash, now) {
      const won = await first<Row>(ctx, CONSUME, [now, codeHash]);
      if (won) return { record: fromRow(won), first: true };
      const row = await first<Row>(ctx, SELECT, [codeHash]);
      return row ? { record: fromRow(row), first: false } : null;
    },
    async purgeExpired(before, limit, after = null) {
      const [afterExpiresAt, afterCodeHash] = expiryCursorParams(after);
      const page = (await execute<PageRow>(ctx, PAGE, [before, afterExpiresAt, afterCodeHash, limit])).rows;
      const next = nextExpiryCursor(page, limit, (r) => r.code_hash);
      if (page.length === 0) return { deleted: 0, next }; // PAGE reads only codes expired before the cutoff
      // Only consumed codes need the tree check: their grants seed it.
      const seeds = [...new Set(page.filter((r) => r.consumed_at !== null).map((r) => r.grant_id))];
      const hashes = page.map((r) => r.code_hash);
      const deleted = await purgeDelete(ctx, PURGE[ctx.kind], [JSON.stringify(seeds), before, before, JSON.stringify(hashes), before]);
      return { deleted, next };
    },
  };
}
