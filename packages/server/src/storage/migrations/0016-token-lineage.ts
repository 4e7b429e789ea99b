/**
 * CO-1 (issue 3): "every token records the grant it came from". Two links were missing.
 *
 * - `id_tokens`: an ID token we issue (OIDC Core §2) is a subject token of the token exchange
 *   (RFC 8693 §2.1) and of ID-JAG issuance, yet nothing tied it to the grant it came from, so
 *   revoking that grant (refresh-token reuse, code replay, RFC 7009, sign-out, consent revocation)
 *   left it — and every grant exchanged from it — alive. One row per ID token, written in the
 *   issuing transaction of the authorization code and refresh grants (grants/shared/issue.ts):
 *   the exchange finds the grant by the token's `jti` and makes the derived grant its child, so
 *   the tree revocations reach it. No `revoked_at`: an ID token is revoked only through its grant
 *   (RFC 7009 revokes access and refresh tokens). Index `id_tokens_expires_at` for retention.
 * - `grants.subject_token_jti`: the jti of our token a grant was exchanged from. RFC 7009 revokes
 *   one access token, which is not a grant: its derived grants hang off the token's grant and
 *   survived its revocation. accessTokens.revoke / revokeWithDerived now revoke the trees seeded
 *   here, as do the bulk revocations of tokens on no grant (client deletion, agent suspension):
 *   repositories/derived-grants.ts. Partial index: only exchanged grants carry it.
 *
 * Nullable column, no backfill: grants exchanged before this migration cannot be traced to their
 * subject token; they stay revocable through their parent grant, consent, agent or user. Safe to
 * run again (columns.ts): the column only when absent, table and indexes `if not exists`.
 */
import type { Migration } from 'kysely';
import type { StorageKind } from '../context.ts';
import { hasColumn } from './columns.ts';

export function tokenLineageMigration(kind: StorageKind): Migration {
  return {
    async up(db) {
      await db.schema
        .createTable('id_tokens')
        .ifNotExists()
        .addColumn('jti', 'text', (c) => c.primaryKey())
        // No foreign key, as elsewhere for grants: the grant row outlives it, never the reverse.
        .addColumn('grant_id', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('id_tokens_expires_at').ifNotExists().on('id_tokens').column('expires_at').execute();
      if (!(await hasColumn(db, kind, 'grants', 'subject_token_jti'))) await db.schema.alterTable('grants').addColumn('subject_token_jti', 'text').execute();
      await db.schema.createIndex('grants_subject_token_jti').ifNotExists().on('grants').column('subject_token_jti').where('subject_token_jti', 'is not', null).execute();
    },
  };
}
