/** PostgreSQL through a pg pool, optionally confined to one schema (`?schema=name`). */
import type { CustomTypesConfig, Pool } from 'pg';
import type { Logger } from 'pino';
import { PostgresDialect, type DatabaseIntrospector, type Kysely } from 'kysely';
import { SchemaScopedIntrospector } from './postgres-introspector.ts';

const INT8_OID = 20;

/** Lower-case only: the name is used unquoted in search_path, where PostgreSQL folds case. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PostgresTarget {
  connectionString: string;
  schema: string | null;
}

/** Splits `?schema=` off the URL: it is ours, not a libpq parameter. */
export function parsePostgresUrl(databaseUrl: string): PostgresTarget {
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get('schema');
  url.searchParams.delete('schema');
  if (schema !== null && !SCHEMA_NAME.test(schema)) {
    throw new Error(`invalid PostgreSQL schema name "${schema}": use lower-case letters, digits and _`);
  }
  return { connectionString: url.toString(), schema };
}

/** bigint columns (times, seq, counts) come back as JS numbers: epoch seconds fit easily. */
function bigintAsNumber(pg: PgModule): CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === INT8_OID && format !== 'binary' ? (value: string) => Number.parseInt(value, 10) : pg.types.getTypeParser(oid, format)) as CustomTypesConfig['getTypeParser'],
  };
}

type PgModule = typeof import('pg').default;

/** pg is loaded only when PostgreSQL is configured: an embedded-SQLite server never pays its memory. */
async function loadPg(): Promise<PgModule> {
  return (await import('pg')).default;
}

async function ensureSchema(pg: PgModule, connectionString: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`create schema if not exists ${schema}`);
  } catch (error) {
    // Two instances creating the schema at once: the loser gets a unique violation even with IF NOT EXISTS.
    const { rowCount } = await client.query('select 1 from pg_namespace where nspname = $1', [schema]);
    if (rowCount === 0) throw error;
  } finally {
    await client.end();
  }
}

class SchemaScopedPostgresDialect extends PostgresDialect {
  constructor(
    pool: Pool,
    private readonly schema: string,
  ) {
    super({ pool });
  }
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SchemaScopedIntrospector(db, this.schema);
  }
}

export interface OpenedPostgres {
  dialect: PostgresDialect;
  /** The schema holding the tables (and the migration bookkeeping). */
  schema: string;
}

export async function postgresDialect(databaseUrl: string, logger?: Logger): Promise<OpenedPostgres> {
  const { connectionString, schema } = parsePostgresUrl(databaseUrl);
  const pg = await loadPg();
  if (schema !== null) await ensureSchema(pg, connectionString, schema);
  const pool = new pg.Pool({
    connectionString,
    types: bigintAsNumber(pg),
    // Set at connection start-up, so every pooled connection uses the schema without an extra round trip.
    ...(schema !== null ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', (err) => logger?.error({ err }, 'postgres pool connection error'));
  let resolved = schema;
  if (resolved === null) {
    try {
      const { rows } = await pool.query<{ schema: string }>('select current_schema() as schema');
      resolved = rows[0]?.schema ?? 'public';
    } catch (error) {
      await pool.end();
      throw error;
    }
  }
  return { dialect: new SchemaScopedPostgresDialect(pool, resolved), schema: resolved };
}
