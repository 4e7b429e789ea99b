/**
 * Issue 3: agent identities (ID-2) and the revocation feed (CO-1). docs/storage-schema.md
 * describes every column. Same type conventions as 0001-initial.ts.
 */
import type { Kysely, Migration } from 'kysely';
import type { StorageKind } from '../context.ts';

type Db = Kysely<unknown>;

async function agents(db: Db): Promise<void> {
  await db.schema
    .createTable('agents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('owner_user_id', 'text', (c) => c.notNull())
    .addColumn('allowed_scopes', 'text', (c) => c.notNull())
    .addColumn('allowed_audiences', 'text', (c) => c.notNull())
    .addColumn('allowed_tools', 'text', (c) => c.notNull())
    .addColumn('max_delegation_depth', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attestation', 'text')
    .addColumn('jwks', 'text')
    .addColumn('client_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('agents_owner_user_id').on('agents').columns(['owner_user_id', 'created_at']).execute();
  // One agent per client: a client_credentials token must stand for exactly one agent.
  await db.schema.createIndex('agents_client_id').on('agents').column('client_id').unique().where('client_id', 'is not', null).execute();
  // Suspension revokes every grant the agent acts in (grants.revokeByAgent).
  await db.schema.createIndex('grants_agent_id').on('grants').column('agent_id').where('agent_id', 'is not', null).execute();
}

async function revocationEvents(db: Db, kind: StorageKind): Promise<void> {
  await db.schema
    .createTable('revocation_events')
    // SQLite: AUTOINCREMENT so a seq is never reused after the newest rows are purged.
    // PostgreSQL: an identity column; appends hold the audit advisory lock until commit, so
    // seq order is commit order and a reader paging with `after` never skips a late commit.
    .$call((t) =>
      kind === 'sqlite'
        ? t.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
        : t.addColumn('seq', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity()),
    )
    .addColumn('jti', 'text')
    .addColumn('grant_id', 'text')
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('revocation_events_expires_at').on('revocation_events').column('expires_at').execute();
}

export function agentsMigration(kind: StorageKind): Migration {
  return {
    async up(db) {
      await agents(db);
      await revocationEvents(db, kind);
    },
  };
}
