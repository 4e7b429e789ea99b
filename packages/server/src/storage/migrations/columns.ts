/**
 * For migrations that add a column: whether it is there already. Migrations from 0011 on add
 * columns only when absent (and indexes `if not exists`), so running them again over a database
 * that has them is harmless: the storage tests re-run 0009 onward to replay an upgrade.
 */
import { sql, type Kysely } from 'kysely';
import type { StorageKind } from '../context.ts';

export async function hasColumn(db: Kysely<unknown>, kind: StorageKind, table: string, column: string): Promise<boolean> {
  const query =
    kind === 'sqlite'
      ? sql`select 1 from pragma_table_info(${table}) where name = ${column}`
      : sql`select 1 from information_schema.columns where table_schema = current_schema() and table_name = ${table} and column_name = ${column}`;
  return (await query.execute(db)).rows.length > 0;
}
