/**
 * The upstream identities section of Storage (issue 5, SSO federation), on SQLite and PostgreSQL
 * alike (migrations/0007-upstream-identities.ts). The tables are typed here rather than in
 * db-types.ts so the feature stays one self-contained addition.
 */
import type { Kysely, Selectable } from 'kysely';
import type { UpstreamIdentityRecord, UpstreamLoginStateRecord } from './records.ts';
import type { Storage } from './storage.ts';
import { changed, type RepoContext } from './context.ts';

interface UpstreamIdentitiesTable {
  provider_id: string;
  subject: string;
  user_id: string;
  email: string | null;
  created_at: number;
  last_login_at: number | null;
}

interface UpstreamLoginStatesTable {
  state_hash: string;
  interaction_id: string;
  provider_id: string;
  nonce: string;
  code_verifier: string;
  created_at: number;
  expires_at: number;
}

interface UpstreamDatabase {
  upstream_identities: UpstreamIdentitiesTable;
  upstream_login_states: UpstreamLoginStatesTable;
}

function identityRecord(row: Selectable<UpstreamIdentitiesTable>): UpstreamIdentityRecord {
  return {
    providerId: row.provider_id,
    subject: row.subject,
    userId: row.user_id,
    email: row.email,
    createdAt: Number(row.created_at),
    lastLoginAt: row.last_login_at === null ? null : Number(row.last_login_at),
  };
}

function stateRecord(row: Selectable<UpstreamLoginStatesTable>): UpstreamLoginStateRecord {
  return {
    stateHash: row.state_hash,
    interactionId: row.interaction_id,
    providerId: row.provider_id,
    nonce: row.nonce,
    codeVerifier: row.code_verifier,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
  };
}

export function upstreamIdentitiesRepository(ctx: RepoContext): Storage['upstreamIdentities'] {
  // The same connection or transaction, viewed through this feature's tables.
  const db = () => ctx.db as unknown as Kysely<UpstreamDatabase>;
  return {
    async create(r) {
      await db()
        .insertInto('upstream_identities')
        .values({ provider_id: r.providerId, subject: r.subject, user_id: r.userId, email: r.email, created_at: r.createdAt, last_login_at: r.lastLoginAt })
        .execute();
    },
    async get(providerId, subject) {
      const row = await db().selectFrom('upstream_identities').selectAll().where('provider_id', '=', providerId).where('subject', '=', subject).executeTakeFirst();
      return row ? identityRecord(row) : null;
    },
    async listForUser(userId) {
      const rows = await db().selectFrom('upstream_identities').selectAll().where('user_id', '=', userId).orderBy('created_at').orderBy('provider_id').orderBy('subject').execute();
      return rows.map(identityRecord);
    },
    async touch(providerId, subject, email, at) {
      const result = await db().updateTable('upstream_identities').set({ email, last_login_at: at }).where('provider_id', '=', providerId).where('subject', '=', subject).executeTakeFirst();
      return changed(result) > 0;
    },
    async delete(providerId, subject) {
      const result = await db().deleteFrom('upstream_identities').where('provider_id', '=', providerId).where('subject', '=', subject).executeTakeFirst();
      return changed(result) > 0;
    },
    states: {
      async create(r) {
        await db()
          .insertInto('upstream_login_states')
          .values({
            state_hash: r.stateHash,
            interaction_id: r.interactionId,
            provider_id: r.providerId,
            nonce: r.nonce,
            code_verifier: r.codeVerifier,
            created_at: r.createdAt,
            expires_at: r.expiresAt,
          })
          .execute();
      },
      async get(stateHash, now) {
        const row = await db().selectFrom('upstream_login_states').selectAll().where('state_hash', '=', stateHash).where('expires_at', '>', now).executeTakeFirst();
        return row ? stateRecord(row) : null;
      },
      /** One DELETE … RETURNING: the WHERE clause is the whole single-use rule, so exactly one caller gets the row. */
      async consume(stateHash, now) {
        const row = await db().deleteFrom('upstream_login_states').where('state_hash', '=', stateHash).where('expires_at', '>', now).returningAll().executeTakeFirst();
        return row ? stateRecord(row) : null;
      },
      async purgeExpired(now) {
        const result = await db().deleteFrom('upstream_login_states').where('expires_at', '<=', now).executeTakeFirst();
        return changed(result);
      },
    },
  };
}
