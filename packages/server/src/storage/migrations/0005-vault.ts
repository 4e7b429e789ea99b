/**
 * Issue 5: the token vault (VA-1, VA-2). Connections are admin-configured providers; entries are
 * one user's sealed tokens (or static key) at one connection. Secrets are only ever stored
 * sealed (vault/envelope.ts): ciphertext, wrapped data key and the id of the key-encryption key.
 * docs/storage-schema.md describes every column. Same type conventions as 0001-initial.ts.
 */
import type { Kysely, Migration } from 'kysely';

type Db = Kysely<unknown>;

async function vaultConnections(db: Db): Promise<void> {
  await db.schema
    .createTable('vault_connections')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('provider', 'text')
    .addColumn('client_secret_kek_id', 'text')
    .addColumn('client_secret_wrapped_key', 'text')
    .addColumn('client_secret_ciphertext', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

async function vaultEntries(db: Db): Promise<void> {
  await db.schema
    .createTable('vault_entries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('kek_id', 'text', (c) => c.notNull())
    .addColumn('wrapped_key', 'text', (c) => c.notNull())
    .addColumn('ciphertext', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('refresh_lease_until', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  // One linked account per user and connection: a second link replaces, never duplicates.
  await db.schema.createIndex('vault_entries_user_connection').on('vault_entries').columns(['user_id', 'connection_id']).unique().execute();
  // Unlinking a connection finds its entries; rotation finds entries still under an old KEK.
  await db.schema.createIndex('vault_entries_connection_id').on('vault_entries').column('connection_id').execute();
  await db.schema.createIndex('vault_entries_kek_id').on('vault_entries').column('kek_id').execute();
}

export function vaultMigration(): Migration {
  return {
    async up(db) {
      await vaultConnections(db);
      await vaultEntries(db);
    },
  };
}
