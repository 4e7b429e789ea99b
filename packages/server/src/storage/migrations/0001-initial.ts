/**
 * The initial schema (docs/storage-schema.md describes every column). Types are chosen so
 * both backends store the same values: TEXT for strings and JSON, BIGINT (INTEGER affinity
 * on SQLite) for epoch seconds, INTEGER 0/1 for booleans. No foreign keys: clients may live
 * outside the table (static configuration, CIMD documents), so integrity is kept by the code
 * that writes, and revocation finds dependants through indexed id columns.
 */
import type { Kysely, Migration } from 'kysely';
import type { StorageKind } from '../context.ts';

type Db = Kysely<unknown>;

async function clientsAndUsers(db: Db): Promise<void> {
  await db.schema
    .createTable('clients')
    .addColumn('client_id', 'text', (c) => c.primaryKey())
    .addColumn('client_secret_hash', 'text')
    .addColumn('client_secret_expires_at', 'bigint', (c) => c.notNull())
    .addColumn('client_name', 'text', (c) => c.notNull())
    .addColumn('redirect_uris', 'text', (c) => c.notNull())
    .addColumn('grant_types', 'text', (c) => c.notNull())
    .addColumn('response_types', 'text', (c) => c.notNull())
    .addColumn('token_endpoint_auth_method', 'text', (c) => c.notNull())
    .addColumn('jwks', 'text')
    .addColumn('jwks_uri', 'text')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('application_type', 'text', (c) => c.notNull())
    .addColumn('software_id', 'text')
    .addColumn('software_version', 'text')
    .addColumn('require_par', 'integer', (c) => c.notNull())
    .addColumn('dpop_bound_access_tokens', 'integer', (c) => c.notNull())
    .addColumn('registration_access_token_hash', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('email_lower', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text')
    .addColumn('totp_secret_encrypted', 'text')
    .addColumn('is_admin', 'integer', (c) => c.notNull())
    .addColumn('disabled', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('auth_time', 'bigint', (c) => c.notNull())
    .addColumn('acr', 'text', (c) => c.notNull())
    .addColumn('amr', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('sessions_user_id').on('sessions').column('user_id').execute();
}

async function pendingRequests(db: Db): Promise<void> {
  for (const table of ['interactions', 'par_requests'] as const) {
    await db.schema
      .createTable(table)
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('params', 'text', (c) => c.notNull())
      .$call((t) => (table === 'interactions' ? t.addColumn('session_id_hash', 'text') : t.addColumn('dpop_jkt', 'text')))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('consumed_at', 'bigint')
      .execute();
  }
}

async function grantsAndConsents(db: Db): Promise<void> {
  await db.schema
    .createTable('grants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text')
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('agent_id', 'text')
    .addColumn('parent_grant_id', 'text')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('resources', 'text', (c) => c.notNull())
    .addColumn('authorization_details', 'text')
    .addColumn('consent_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .addColumn('revoked_reason', 'text')
    .execute();
  await db.schema.createIndex('grants_user_id').on('grants').column('user_id').where('user_id', 'is not', null).execute();
  await db.schema.createIndex('grants_client_id').on('grants').column('client_id').execute();
  await db.schema.createIndex('grants_parent_grant_id').on('grants').column('parent_grant_id').where('parent_grant_id', 'is not', null).execute();
  await db.schema.createIndex('grants_consent_id').on('grants').column('consent_id').where('consent_id', 'is not', null).execute();

  await db.schema
    .createTable('consents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('resources', 'text', (c) => c.notNull())
    .addColumn('authorization_details', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('consents_user_client').on('consents').columns(['user_id', 'client_id']).execute();
}

async function tokens(db: Db): Promise<void> {
  await db.schema
    .createTable('authorization_codes')
    .addColumn('code_hash', 'text', (c) => c.primaryKey())
    .addColumn('grant_id', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    .addColumn('code_challenge', 'text', (c) => c.notNull())
    .addColumn('code_challenge_method', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('resources', 'text', (c) => c.notNull())
    .addColumn('authorization_details', 'text')
    .addColumn('nonce', 'text')
    .addColumn('auth_time', 'bigint', (c) => c.notNull())
    .addColumn('acr', 'text', (c) => c.notNull())
    .addColumn('amr', 'text', (c) => c.notNull())
    .addColumn('dpop_jkt', 'text')
    .addColumn('session_id_hash', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('consumed_at', 'bigint')
    .execute();

  await db.schema
    .createTable('refresh_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('grant_id', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('resources', 'text', (c) => c.notNull())
    .addColumn('authorization_details', 'text')
    .addColumn('dpop_jkt', 'text')
    .addColumn('auth_time', 'bigint')
    .addColumn('acr', 'text')
    .addColumn('amr', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('rotated_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('refresh_tokens_grant_id').on('refresh_tokens').column('grant_id').execute();

  await db.schema
    .createTable('access_tokens')
    .addColumn('jti', 'text', (c) => c.primaryKey())
    .addColumn('grant_id', 'text')
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('access_tokens_grant_id').on('access_tokens').column('grant_id').where('grant_id', 'is not', null).execute();
  await db.schema.createIndex('access_tokens_expires_at').on('access_tokens').column('expires_at').execute();
}

async function keysAndCaches(db: Db): Promise<void> {
  await db.schema
    .createTable('signing_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('alg', 'text', (c) => c.notNull())
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('private_jwk_encrypted', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('retired_at', 'bigint')
    .addColumn('publish_until', 'bigint')
    .execute();

  await db.schema
    .createTable('cimd_cache')
    .addColumn('url', 'text', (c) => c.primaryKey())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('etag', 'text')
    .addColumn('fetched_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('replay_cache')
    .addColumn('namespace', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('replay_cache_pk', ['namespace', 'key'])
    .execute();
  await db.schema.createIndex('replay_cache_expires_at').on('replay_cache').column('expires_at').execute();
}

async function audit(db: Db, kind: StorageKind): Promise<void> {
  await db.schema
    .createTable('audit_events')
    // On SQLite `integer primary key` is the rowid itself: appends stay one b-tree insert.
    .addColumn('seq', kind === 'sqlite' ? 'integer' : 'bigint', (c) => c.primaryKey())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('time', 'bigint', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('client_id', 'text')
    .addColumn('agent_id', 'text')
    .addColumn('requested_scope', 'text')
    .addColumn('granted_scope', 'text')
    .addColumn('resource', 'text')
    .addColumn('ip', 'text')
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('data', 'text')
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_events_user_id').on('audit_events').columns(['user_id', 'seq']).where('user_id', 'is not', null).execute();
  await db.schema.createIndex('audit_events_client_id').on('audit_events').columns(['client_id', 'seq']).where('client_id', 'is not', null).execute();
}

export function initialMigration(kind: StorageKind): Migration {
  return {
    async up(db) {
      await clientsAndUsers(db);
      await pendingRequests(db);
      await grantsAndConsents(db);
      await tokens(db);
      await keysAndCaches(db);
      await audit(db, kind);
    },
  };
}
