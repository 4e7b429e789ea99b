/**
 * Issue 5, SSO federation (HU-1, EN-1): which upstream OpenID Provider account stands for which
 * local user, and the pending logins at those providers. Columns are described in records.ts
 * (UpstreamIdentityRecord, UpstreamLoginStateRecord); same type conventions as 0001-initial.ts
 * (epoch seconds as bigint).
 */
import type { Kysely, Migration } from 'kysely';

type Db = Kysely<unknown>;

/**
 * One row per (provider, upstream `sub`): OIDC Core §5.7 — `sub` is only unique and stable
 * within its issuer, so the pair is the key, never the email. A user may have several.
 */
async function upstreamIdentities(db: Db): Promise<void> {
  await db.schema
    .createTable('upstream_identities')
    .addColumn('provider_id', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_login_at', 'bigint')
    .addPrimaryKeyConstraint('upstream_identities_pk', ['provider_id', 'subject'])
    .execute();
  await db.schema.createIndex('upstream_identities_user_id').on('upstream_identities').column('user_id').execute();
}

/**
 * The state / nonce / PKCE verifier of a redirect to a provider (RFC 6749 §10.12, OIDC Core
 * §3.1.2.1, RFC 7636), bound to the interaction it continues. Keyed by the SHA-256 of `state`;
 * a row is deleted when used, so a callback can be processed once.
 */
async function upstreamLoginStates(db: Db): Promise<void> {
  await db.schema
    .createTable('upstream_login_states')
    .addColumn('state_hash', 'text', (c) => c.primaryKey())
    .addColumn('interaction_id', 'text', (c) => c.notNull())
    .addColumn('provider_id', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('code_verifier', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('upstream_login_states_expires_at').on('upstream_login_states').column('expires_at').execute();
}

export function upstreamIdentitiesMigration(): Migration {
  return {
    async up(db) {
      await upstreamIdentities(db);
      await upstreamLoginStates(db);
    },
  };
}
