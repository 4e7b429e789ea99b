/** People who log in at the authorization server. Email lookups are case-insensitive. */
import type { Selectable } from 'kysely';
import type { UsersTable } from '../db-types.ts';
import type { UserRecord } from '../records.ts';
import type { Storage } from '../storage.ts';
import { changed, pageOf, toFlag, type RepoContext } from '../context.ts';
import { first } from '../statements.ts';

/**
 * The unique key behind case-insensitive email lookups. Lower-casing happens in JS, not SQL,
 * so both backends fold exactly the same way (PostgreSQL lower() depends on the collation).
 */
export function emailKey(email: string): string {
  return email.trim().toLowerCase();
}

function toRow(r: UserRecord): UsersTable {
  return {
    id: r.id,
    email: r.email,
    email_lower: emailKey(r.email),
    name: r.name,
    password_hash: r.passwordHash,
    totp_secret_encrypted: r.totpSecretEncrypted,
    is_admin: toFlag(r.isAdmin),
    disabled: toFlag(r.disabled),
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}

function fromRow(row: Selectable<UsersTable>): UserRecord {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    passwordHash: row.password_hash,
    totpSecretEncrypted: row.totp_secret_encrypted,
    isAdmin: row.is_admin === 1,
    disabled: row.disabled === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function usersRepository(ctx: RepoContext): Storage['users'] {
  return {
    /** Read on every token request (the user must still be enabled): precompiled (statements.ts). */
    async get(id) {
      const row = await first<Selectable<UsersTable>>(ctx, 'select * from users where id = ?', [id]);
      return row ? fromRow(row) : null;
    },
    /**
     * PostgreSQL (READ COMMITTED): `for update` waits for a writer holding the row and returns its
     * committed version, and makes later writers wait for this transaction, so every user write
     * (admin enable/disable, SCIM, deprovisioning, upstream role mapping) starts from the row as
     * the last one left it. SQLite: BEGIN IMMEDIATE already serialises write transactions.
     */
    async getForUpdate(id) {
      let q = ctx.db.selectFrom('users').selectAll().where('id', '=', id);
      if (ctx.kind === 'postgres') q = q.forUpdate();
      const row = await q.executeTakeFirst();
      return row ? fromRow(row) : null;
    },
    /**
     * CO-1: an issuance for the user (the ID-JAG grant, grants/jwt-bearer/id-jag.ts) re-checks
     * `disabled` here inside its transaction; deprovisioning locks the row first (getForUpdate), so
     * either it committed before (the row reads disabled) or it waits and its token walk sees ours.
     */
    async getForShare(id) {
      let q = ctx.db.selectFrom('users').selectAll().where('id', '=', id);
      if (ctx.kind === 'postgres') q = q.forShare();
      const row = await q.executeTakeFirst();
      return row ? fromRow(row) : null;
    },
    async getByEmail(email) {
      const row = await ctx.db.selectFrom('users').selectAll().where('email_lower', '=', emailKey(email)).executeTakeFirst();
      return row ? fromRow(row) : null;
    },
    async create(record) {
      await ctx.db.insertInto('users').values(toRow(record)).execute();
    },
    /** Replaces the whole row: read it with getForUpdate in the same transaction first. */
    async update(record) {
      const { id, ...rest } = toRow(record);
      const result = await ctx.db.updateTable('users').set(rest).where('id', '=', id).executeTakeFirst();
      return changed(result) > 0;
    },
    async list(page) {
      const { limit, offset } = pageOf(page);
      const rows = await ctx.db.selectFrom('users').selectAll().orderBy('created_at').orderBy('id').limit(limit).offset(offset).execute();
      return rows.map(fromRow);
    },
  };
}
