/**
 * The one Storage implementation, shared by SQLite and PostgreSQL through Kysely. Each table
 * has its repository in repositories/; this file binds them to a database handle and adds
 * transactions and migrations.
 */
import { Migrator, type Kysely } from 'kysely';
import type { Database } from './db-types.ts';
import type { Storage } from './storage.ts';
import type { DirectConnection, RepoContext, SharedState, StorageKind } from './context.ts';
import { migrationProvider } from './migrations/index.ts';
import { accessTokensRepository } from './repositories/access-tokens.ts';
import { agentsRepository } from './repositories/agents.ts';
import { auditRepository } from './repositories/audit.ts';
import { cimdCacheRepository } from './repositories/cimd-cache.ts';
import { clientsRepository } from './repositories/clients.ts';
import { codesRepository } from './repositories/codes.ts';
import { consentsRepository } from './repositories/consents.ts';
import { grantsRepository } from './repositories/grants.ts';
import { interactionsRepository } from './repositories/interactions.ts';
import { parRepository } from './repositories/par.ts';
import { refreshTokensRepository } from './repositories/refresh-tokens.ts';
import { replayRepository } from './repositories/replay.ts';
import { revocationsRepository } from './repositories/revocations.ts';
import { passkeysRepository } from './repositories/passkeys.ts';
import { sessionsRepository } from './repositories/sessions.ts';
import { signingKeysRepository } from './repositories/signing-keys.ts';
import { usersRepository } from './repositories/users.ts';
import { scimRepository } from './scim-storage.ts';
import { vaultRepository } from './vault-storage.ts';
import { upstreamIdentitiesRepository } from './upstream-identity-storage.ts';
import { totpEnrollmentsRepository } from './totp-enrollment-storage.ts';

export interface KyselyStorageOptions {
  db: Kysely<Database>;
  kind: StorageKind;
  /** PostgreSQL schema for the migration bookkeeping tables; undefined on SQLite. */
  migrationSchema?: string;
  /** Second half of the audit advisory lock key (PostgreSQL). */
  auditLockKey?: number;
  /** Hand-written statements without Kysely in between (SQLite, sqlite-direct.ts). */
  direct?: DirectConnection;
}

class KyselyStorage implements Storage {
  readonly kind: StorageKind;
  readonly clients: Storage['clients'];
  readonly users: Storage['users'];
  readonly sessions: Storage['sessions'];
  readonly interactions: Storage['interactions'];
  readonly par: Storage['par'];
  readonly grants: Storage['grants'];
  readonly codes: Storage['codes'];
  readonly refreshTokens: Storage['refreshTokens'];
  readonly accessTokens: Storage['accessTokens'];
  readonly consents: Storage['consents'];
  readonly signingKeys: Storage['signingKeys'];
  readonly cimdCache: Storage['cimdCache'];
  readonly replay: Storage['replay'];
  readonly agents: Storage['agents'];
  readonly revocations: Storage['revocations'];
  readonly passkeys: Storage['passkeys'];
  readonly audit: Storage['audit'];
  readonly scim: Storage['scim'];
  readonly vault: Storage['vault'];
  readonly upstreamIdentities: Storage['upstreamIdentities'];
  readonly totpEnrollments: Storage['totpEnrollments'];

  constructor(
    private readonly ctx: RepoContext,
    private readonly options: KyselyStorageOptions,
  ) {
    this.kind = ctx.kind;
    this.clients = clientsRepository(ctx);
    this.users = usersRepository(ctx);
    this.sessions = sessionsRepository(ctx);
    this.interactions = interactionsRepository(ctx);
    this.par = parRepository(ctx);
    this.grants = grantsRepository(ctx);
    this.codes = codesRepository(ctx);
    this.refreshTokens = refreshTokensRepository(ctx);
    this.accessTokens = accessTokensRepository(ctx);
    this.consents = consentsRepository(ctx);
    this.signingKeys = signingKeysRepository(ctx);
    this.cimdCache = cimdCacheRepository(ctx);
    this.replay = replayRepository(ctx);
    this.agents = agentsRepository(ctx);
    this.revocations = revocationsRepository(ctx);
    this.passkeys = passkeysRepository(ctx);
    this.audit = auditRepository(ctx);
    this.scim = scimRepository(ctx);
    this.vault = vaultRepository(ctx);
    this.upstreamIdentities = upstreamIdentitiesRepository(ctx);
    this.totpEnrollments = totpEnrollmentsRepository(ctx);
  }

  /** Kysely's migrator takes its lock (an advisory lock on PostgreSQL), so concurrent starts are safe. */
  async migrate(): Promise<void> {
    const { db, kind, migrationSchema } = this.options;
    const provider = migrationProvider(kind);
    if (await isUpToDate(db, Object.keys(await provider.getMigrations()))) return;
    const migrator = new Migrator({ db, provider, ...(migrationSchema !== undefined ? { migrationTableSchema: migrationSchema } : {}) });
    const { error } = await migrator.migrateToLatest();
    if (error) throw error instanceof Error ? error : new Error(`migration failed: ${String(error)}`);
  }

  async close(): Promise<void> {
    await this.options.db.destroy();
  }

  /** Nested calls reuse the open transaction; a throw rolls everything back. */
  transaction<T>(fn: (tx: Storage) => Promise<T>): Promise<T> {
    if (this.ctx.inTransaction) return fn(this);
    const { direct } = this.options;
    return this.ctx.db.transaction().execute((trx) => fn(new KyselyStorage({ ...this.ctx, db: trx, inTransaction: true, ...(direct ? { direct: direct.forTransaction(trx) } : {}) }, this.options)));
  }
}

/**
 * A started server usually finds every migration applied: one small query answers that and
 * skips the migrator's catalogue introspection, which is slow on a database with many schemas.
 */
async function isUpToDate(db: Kysely<Database>, names: string[]): Promise<boolean> {
  try {
    const rows = await (db as unknown as Kysely<{ kysely_migration: { name: string } }>).selectFrom('kysely_migration').select('name').execute();
    const applied = new Set(rows.map((r) => r.name));
    return names.every((n) => applied.has(n));
  } catch {
    return false;
  }
}

export function createKyselyStorage(options: KyselyStorageOptions): Storage {
  const shared: SharedState = { auditLockKey: options.auditLockKey ?? 0, replaySweptAt: 0 };
  const direct = options.direct?.forRoot(options.db);
  return new KyselyStorage({ db: options.db, kind: options.kind, inTransaction: false, shared, ...(direct ? { direct } : {}) }, options);
}
