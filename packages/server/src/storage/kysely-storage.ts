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
import { idTokensRepository } from './repositories/id-tokens.ts';
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

type Repositories = Omit<Storage, 'kind' | 'migrate' | 'close' | 'transaction'>;

const REPOSITORIES: { [K in keyof Repositories]: (ctx: RepoContext) => Repositories[K] } = {
  clients: clientsRepository,
  users: usersRepository,
  sessions: sessionsRepository,
  interactions: interactionsRepository,
  par: parRepository,
  grants: grantsRepository,
  codes: codesRepository,
  refreshTokens: refreshTokensRepository,
  accessTokens: accessTokensRepository,
  idTokens: idTokensRepository,
  consents: consentsRepository,
  signingKeys: signingKeysRepository,
  cimdCache: cimdCacheRepository,
  replay: replayRepository,
  agents: agentsRepository,
  revocations: revocationsRepository,
  passkeys: passkeysRepository,
  audit: auditRepository,
  scim: scimRepository,
  vault: vaultRepository,
  upstreamIdentities: upstreamIdentitiesRepository,
  totpEnrollments: totpEnrollmentsRepository,
};

class KyselyStorage implements Storage {
  readonly kind: StorageKind;
  declare readonly clients: Storage['clients'];
  declare readonly users: Storage['users'];
  declare readonly sessions: Storage['sessions'];
  declare readonly interactions: Storage['interactions'];
  declare readonly par: Storage['par'];
  declare readonly grants: Storage['grants'];
  declare readonly codes: Storage['codes'];
  declare readonly refreshTokens: Storage['refreshTokens'];
  declare readonly accessTokens: Storage['accessTokens'];
  declare readonly idTokens: Storage['idTokens'];
  declare readonly consents: Storage['consents'];
  declare readonly signingKeys: Storage['signingKeys'];
  declare readonly cimdCache: Storage['cimdCache'];
  declare readonly replay: Storage['replay'];
  declare readonly agents: Storage['agents'];
  declare readonly revocations: Storage['revocations'];
  declare readonly passkeys: Storage['passkeys'];
  declare readonly audit: Storage['audit'];
  declare readonly scim: Storage['scim'];
  declare readonly vault: Storage['vault'];
  declare readonly upstreamIdentities: Storage['upstreamIdentities'];
  declare readonly totpEnrollments: Storage['totpEnrollments'];

  constructor(
    readonly ctx: RepoContext,
    private readonly options: KyselyStorageOptions,
  ) {
    this.kind = ctx.kind;
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
 * Repositories are built on first use: every transaction gets a fresh KyselyStorage, and a
 * transaction touches two or three of the tables (a client_credentials grant: access_tokens and
 * audit), so building all of them each time was ~2% of a grant's CPU. The first read defines the
 * repository as an own property; assigning one (tests wrap a repository) does the same.
 */
for (const [name, build] of Object.entries(REPOSITORIES) as [keyof Repositories, (ctx: RepoContext) => unknown][]) {
  const own = (target: object, value: unknown) => Object.defineProperty(target, name, { value, writable: true, enumerable: true, configurable: true });
  Object.defineProperty(KyselyStorage.prototype, name, {
    get(this: KyselyStorage) {
      const repository = build(this.ctx);
      own(this, repository);
      return repository;
    },
    set(this: KyselyStorage, value: unknown) {
      own(this, value);
    },
    configurable: true,
  });
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
