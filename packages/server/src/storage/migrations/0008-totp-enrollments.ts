/**
 * HU-1: a password alone never signs in. A user without a second factor enrols TOTP during the
 * login (interaction/totp-enrollment.ts); until the first code is proven, the new secret waits
 * here — encrypted with the secret key (crypto/envelope.ts), bound to one interaction and one
 * pending password login, and expiring with that login. Columns: TotpEnrollmentRecord in
 * totp-enrollment-storage.ts; same type conventions as 0001-initial.ts (epoch seconds as bigint).
 */
import type { Kysely, Migration } from 'kysely';

export function totpEnrollmentsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('totp_enrollments')
        // One pending enrolment per interaction: a new password login in it replaces the row.
        .addColumn('interaction_id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('login_at', 'bigint', (c) => c.notNull())
        .addColumn('secret_encrypted', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('totp_enrollments_expires_at').on('totp_enrollments').column('expires_at').execute();
    },
  };
}
