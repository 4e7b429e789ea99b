/**
 * Issue 4: WebAuthn credentials (passkeys, HU-1). docs/storage-schema.md describes every
 * column. Same type conventions as 0001-initial.ts; the credential id (base64url) is the key,
 * as the authenticator names the credential by it in every assertion (WebAuthn L3 §7.2 step 5).
 */
import type { Kysely, Migration } from 'kysely';

type Db = Kysely<unknown>;

async function passkeys(db: Db): Promise<void> {
  await db.schema
    .createTable('passkeys')
    .addColumn('credential_id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('counter', 'bigint', (c) => c.notNull())
    .addColumn('transports', 'text', (c) => c.notNull())
    .addColumn('device_type', 'text', (c) => c.notNull())
    .addColumn('backed_up', 'integer', (c) => c.notNull())
    .addColumn('aaguid', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .execute();
  await db.schema.createIndex('passkeys_user_id').on('passkeys').columns(['user_id', 'created_at']).execute();
}

export function passkeysMigration(): Migration {
  return {
    async up(db) {
      await passkeys(db);
    },
  };
}
