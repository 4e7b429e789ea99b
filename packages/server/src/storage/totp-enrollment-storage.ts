/**
 * The pending TOTP enrolments section of Storage (HU-1; migrations/0008-totp-enrollments.ts).
 * The table is typed here rather than in db-types.ts so the feature stays one self-contained
 * addition, like upstream-identity-storage.ts.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Storage } from './storage.ts';
import { changed, type RepoContext } from './context.ts';

/** A TOTP secret shown to a user whose password was just proven, waiting for its first code. */
export interface TotpEnrollmentRecord {
  interactionId: string;
  userId: string;
  /** `at` of the pending password login (interaction/pending-login.ts) the secret belongs to. */
  loginAt: number;
  /** crypto/envelope.ts, purpose bound to interaction, user and login (interaction/totp-enrollment.ts). */
  secretEncrypted: string;
  createdAt: number;
  expiresAt: number;
}

interface TotpEnrollmentsTable {
  interaction_id: string;
  user_id: string;
  login_at: number;
  secret_encrypted: string;
  created_at: number;
  expires_at: number;
}

interface EnrollmentDatabase {
  totp_enrollments: TotpEnrollmentsTable;
}

function record(row: Selectable<TotpEnrollmentsTable>): TotpEnrollmentRecord {
  return {
    interactionId: row.interaction_id,
    userId: row.user_id,
    loginAt: Number(row.login_at),
    secretEncrypted: row.secret_encrypted,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
  };
}

export function totpEnrollmentsRepository(ctx: RepoContext): Storage['totpEnrollments'] {
  // The same connection or transaction, viewed through this feature's table.
  const db = () => ctx.db as unknown as Kysely<EnrollmentDatabase>;
  const purgeExpired = async (now: number) => changed(await db().deleteFrom('totp_enrollments').where('expires_at', '<=', now).executeTakeFirst());
  return {
    async put(r) {
      // Abandoned enrolments are swept here, so no secret outlives its login by more than the next enrolment.
      await purgeExpired(r.createdAt);
      const values = {
        interaction_id: r.interactionId,
        user_id: r.userId,
        login_at: r.loginAt,
        secret_encrypted: r.secretEncrypted,
        created_at: r.createdAt,
        expires_at: r.expiresAt,
      };
      const { interaction_id: _key, ...rest } = values;
      // Two tabs showing the page of one login at once both get here: the first insert wins and
      // the other write changes nothing, so every page of that login shows the one stored secret.
      // Only another login replaces it (an expired row is already gone: purgeExpired above), so a
      // secret is never shown to two logins.
      await db()
        .insertInto('totp_enrollments')
        .values(values)
        .onConflict((oc) =>
          oc
            .column('interaction_id')
            .doUpdateSet(rest)
            .where(({ eb, or, ref }) =>
              or([
                eb('totp_enrollments.user_id', '<>', ref('excluded.user_id')),
                eb('totp_enrollments.login_at', '<>', ref('excluded.login_at')),
              ]),
            ),
        )
        .execute();
      const row = await db().selectFrom('totp_enrollments').selectAll().where('interaction_id', '=', r.interactionId).executeTakeFirst();
      return row ? record(row) : null;
    },
    async get(interactionId, now) {
      const row = await db().selectFrom('totp_enrollments').selectAll().where('interaction_id', '=', interactionId).where('expires_at', '>', now).executeTakeFirst();
      return row ? record(row) : null;
    },
    /**
     * One DELETE … RETURNING: exactly one caller completes a given enrolment, and the user's other
     * pending enrolments (other interactions) go in the same statement: the account now gets this
     * secret, and a second secret must never be completed over it. One statement, not two, so two
     * interactions of one user finishing at once cannot both succeed: on SQLite statements run one
     * at a time; on PostgreSQL the later one waits for the earlier's row locks and then finds its
     * own row gone, so it returns nothing of its own.
     * No index on user_id: the table only holds enrolments of the last few minutes.
     */
    async consume(interactionId, userId, loginAt, now, secretEncrypted) {
      const rows = await db()
        .deleteFrom('totp_enrollments')
        .where('user_id', '=', userId)
        .where(({ exists, selectFrom }) =>
          exists(
            selectFrom('totp_enrollments as own')
              .select('own.interaction_id')
              .where('own.interaction_id', '=', interactionId)
              .where('own.user_id', '=', userId)
              .where('own.login_at', '=', loginAt)
              .where('own.expires_at', '>', now)
              .where('own.secret_encrypted', '=', secretEncrypted),
          ),
        )
        .returningAll()
        .execute();
      const own = rows.find((r) => r.interaction_id === interactionId && Number(r.login_at) === loginAt && Number(r.expires_at) > now && r.secret_encrypted === secretEncrypted);
      return own ? record(own) : null;
    },
    purgeExpired,
  };
}
