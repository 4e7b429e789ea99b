/**
 * AU-2 at scale: the chain-of-custody query (audit/custody.ts) looks up the event that issued a
 * jti, and an event by its id, without scanning the audit log.
 *
 * - `jti`: a copy of `data.jti` when that is a string (audit-append.ts writes it), indexed where
 *   set. A column rather than an expression index on `data`: on PostgreSQL `data` is text, and
 *   `data::jsonb ->> 'jti'` (or `::json`) raises on any row whose JSON holds `\u0000` or a lone
 *   surrogate escape anywhere — strings from requests and upstream tokens reach `data`, so such
 *   an index would make those appends fail. The column is not hashed (audit/chain.ts is
 *   unchanged, old rows still verify); readers re-check it against the hashed `data`.
 * - `audit_events_id`: event ids lead with the time (crypto/sortable-ids.ts), so appends land on
 *   the index's rightmost page; older random ids stay where they are.
 *
 * Existing rows are backfilled from `data` in seq order, a page at a time, parsed in JavaScript
 * (the same rule as the writer, and immune to what PostgreSQL's JSON parser rejects).
 */
import { sql, type Kysely, type Migration } from 'kysely';

type Db = Kysely<unknown>;
const BACKFILL_PAGE = 1000;

/** The jti an audit row's data names: the rule audit-append.ts writes it by (kept here so this migration never changes). */
function auditJtiOf(data: unknown): string | null {
  if (typeof data !== 'object' || data === null) return null;
  const jti = (data as Record<string, unknown>)['jti'];
  return typeof jti === 'string' ? jti : null;
}

function parsedJti(text: string): string | null {
  try {
    return auditJtiOf(JSON.parse(text));
  } catch {
    return null;
  }
}

async function backfill(db: Db): Promise<void> {
  let afterSeq = 0;
  for (;;) {
    // JSON.stringify writes a key as `"jti":`, so rows without that text cannot have one.
    const { rows } = await sql<{ seq: number | string; data: string }>`select seq, data from audit_events
      where seq > ${afterSeq} and data like ${'%"jti":%'} order by seq limit ${BACKFILL_PAGE}`.execute(db);
    const named = rows.flatMap((row) => {
      const jti = parsedJti(row.data);
      return jti === null ? [] : [sql`(${String(row.seq)}, ${jti})`];
    });
    // One statement per page (UPDATE … FROM: PostgreSQL, SQLite ≥ 3.33), not one per row.
    if (named.length > 0) {
      // VALUES names its columns column1, column2 on both backends (SQLite takes no alias list).
      await sql`update audit_events set jti = v.column2 from (values ${sql.join(named)}) as v
        where audit_events.seq = cast(v.column1 as bigint)`.execute(db);
    }
    if (rows.length < BACKFILL_PAGE) return;
    afterSeq = Number(rows.at(-1)!.seq);
  }
}

export function auditJtiMigration(): Migration {
  return {
    async up(db) {
      await db.schema.alterTable('audit_events').addColumn('jti', 'text').execute();
      await backfill(db);
      // (jti, seq): the oldest event of a jti is the first index entry.
      await db.schema.createIndex('audit_events_jti').on('audit_events').columns(['jti', 'seq']).where('jti', 'is not', null).execute();
      await db.schema.createIndex('audit_events_id').on('audit_events').column('id').execute();
    },
  };
}
