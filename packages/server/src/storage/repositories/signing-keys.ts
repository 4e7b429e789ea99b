/** Token signing keys; the private JWK only ever stored encrypted (compact JWE). */
import type { Selectable } from 'kysely';
import type { SigningKeysTable } from '../db-types.ts';
import type { SigningKeyRecord } from '../records.ts';
import type { Storage } from '../storage.ts';
import { changed, fromJson, toJson, type RepoContext } from '../context.ts';

function fromRow(row: Selectable<SigningKeysTable>): SigningKeyRecord {
  return {
    kid: row.kid,
    alg: row.alg as SigningKeyRecord['alg'],
    publicJwk: fromJson(row.public_jwk),
    privateJwkEncrypted: row.private_jwk_encrypted,
    status: row.status as SigningKeyRecord['status'],
    createdAt: row.created_at,
    retiredAt: row.retired_at,
    publishUntil: row.publish_until,
  };
}

export function signingKeysRepository(ctx: RepoContext): Storage['signingKeys'] {
  return {
    /** Oldest first. */
    async list() {
      const rows = await ctx.db.selectFrom('signing_keys').selectAll().orderBy('created_at').orderBy('kid').execute();
      return rows.map(fromRow);
    },
    async create(r) {
      await ctx.db
        .insertInto('signing_keys')
        .values({
          kid: r.kid,
          alg: r.alg,
          public_jwk: toJson(r.publicJwk),
          private_jwk_encrypted: r.privateJwkEncrypted,
          status: r.status,
          created_at: r.createdAt,
          retired_at: r.retiredAt,
          publish_until: r.publishUntil,
        })
        .execute();
    },
    /** Only an active key is retired: false when absent or already retired (its first publishUntil stands). */
    async retire(kid, at, publishUntil) {
      const result = await ctx.db
        .updateTable('signing_keys')
        .set({ status: 'retired', retired_at: at, publish_until: publishUntil })
        .where('kid', '=', kid)
        .where('status', '=', 'active')
        .executeTakeFirst();
      return changed(result) > 0;
    },
    /** Deletes retired keys with publish_until <= now: no token they signed is still valid. */
    async purge(now) {
      const result = await ctx.db
        .deleteFrom('signing_keys')
        .where('status', '=', 'retired')
        .where('publish_until', '<=', now)
        .executeTakeFirst();
      return changed(result);
    },
  };
}
