/**
 * RFC 6749 §4.1.3 / OAuth 2.1 §4.1.3: the token request must repeat `redirect_uri` "if the
 * redirect_uri parameter was included in the authorization request". /authorize lets a client
 * with one registered URI omit it, so the code must remember whether it was sent:
 * `authorization_codes.redirect_uri_sent`, 0/1 like every boolean (0001-initial.ts).
 *
 * Existing rows default to 0 ("not sent"): codes live seconds, and a code issued before this
 * migration is redeemed under the rule it was issued with (omitting redirect_uri stays allowed
 * for a client with one registered URI; checkRedirectUri still compares it).
 */
import type { Migration } from 'kysely';
import type { StorageKind } from '../context.ts';
import { hasColumn } from './columns.ts';

export function codeRedirectUriSentMigration(kind: StorageKind): Migration {
  return {
    async up(db) {
      if (await hasColumn(db, kind, 'authorization_codes', 'redirect_uri_sent')) return; // run again (columns.ts)
      await db.schema
        .alterTable('authorization_codes')
        .addColumn('redirect_uri_sent', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    },
  };
}
