/**
 * AU-2 through our ID tokens: an exchange of our ID token records its jti as `subject_jti`, but
 * the event that issued the ID token (token_issued of the code grant, token_refreshed) is found
 * by `audit_events.jti` (0009), which copies `data.jti` — the access token issued alongside. That
 * event now also records `data.id_token_jti`; this column is its unhashed, indexed copy, written
 * by audit-append.ts under the same rule as `jti`, so the custody walk (audit/custody.ts) finds
 * the issuance of an ID token with one index probe, also after the sweep purged its id_tokens row
 * (ttl.idToken, 10 minutes by default) — the audit log is the only record that outlives it.
 *
 * Not an id_tokens → grant lookup: audit_events has no grant column or index (grant ids are only
 * in `data`), and the id_tokens row is gone long before an audit asks. Not an expression index
 * on `data`: 0009 says why.
 *
 * No backfill: no event written before this release records `id_token_jti`. Partial index, so
 * rows without an ID token (every exchange, client credentials, failures, …) add no entry. Safe
 * to run again (columns.ts): the column only when absent, the index `if not exists`.
 */
import type { Migration } from 'kysely';
import type { StorageKind } from '../context.ts';
import { hasColumn } from './columns.ts';

export function auditIdTokenJtiMigration(kind: StorageKind): Migration {
  return {
    async up(db) {
      if (!(await hasColumn(db, kind, 'audit_events', 'id_token_jti'))) await db.schema.alterTable('audit_events').addColumn('id_token_jti', 'text').execute();
      // (id_token_jti, seq), as audit_events_jti: the oldest event of a jti is the first entry.
      await db.schema
        .createIndex('audit_events_id_token_jti')
        .ifNotExists()
        .on('audit_events')
        .columns(['id_token_jti', 'seq'])
        .where('id_token_jti', 'is not', null)
        .execute();
    },
  };
}
