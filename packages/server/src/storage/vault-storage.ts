/**
 * The vault section of Storage (issue 5): connections and sealed entries, on SQLite and
 * PostgreSQL alike. Only sealed values reach these tables (vault/envelope.ts); rotation and
 * concurrent refreshes rely on the compare-and-set updates below.
 */
import type { Selectable } from 'kysely';
import type { VaultConnectionRecord, VaultEntryRecord, VaultEntryStatus, VaultSealedRecord } from './records.ts';
import type { Storage } from './storage.ts';
import { changed, fromJsonOrNull, pageOf, toJsonOrNull, withTransaction, type RepoContext } from './context.ts';
import { vaultDb, type VaultConnectionsTable, type VaultEntriesTable } from './vault-tables.ts';

function connectionRow(r: VaultConnectionRecord): VaultConnectionsTable {
  return {
    id: r.id,
    kind: r.kind,
    display_name: r.displayName,
    provider: toJsonOrNull(r.provider),
    client_secret_kek_id: r.clientSecret?.kekId ?? null,
    client_secret_wrapped_key: r.clientSecret?.wrappedKey ?? null,
    client_secret_ciphertext: r.clientSecret?.ciphertext ?? null,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}

function connectionRecord(row: Selectable<VaultConnectionsTable>): VaultConnectionRecord {
  const { client_secret_kek_id: kekId, client_secret_wrapped_key: wrappedKey, client_secret_ciphertext: ciphertext } = row;
  return {
    id: row.id,
    kind: row.kind as VaultConnectionRecord['kind'],
    displayName: row.display_name,
    provider: fromJsonOrNull(row.provider),
    clientSecret: kekId !== null && wrappedKey !== null && ciphertext !== null ? { kekId, wrappedKey, ciphertext } : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function entryRow(r: VaultEntryRecord): VaultEntriesTable {
  return {
    id: r.id,
    user_id: r.userId,
    connection_id: r.connectionId,
    kek_id: r.sealed.kekId,
    wrapped_key: r.sealed.wrappedKey,
    ciphertext: r.sealed.ciphertext,
    status: r.status,
    last_error: r.lastError,
    refresh_lease_until: r.refreshLeaseUntil,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}

function entryRecord(row: Selectable<VaultEntriesTable>): VaultEntryRecord {
  return {
    id: row.id,
    userId: row.user_id,
    connectionId: row.connection_id,
    sealed: { kekId: row.kek_id, wrappedKey: row.wrapped_key, ciphertext: row.ciphertext },
    status: row.status as VaultEntryStatus,
    lastError: row.last_error,
    refreshLeaseUntil: row.refresh_lease_until,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function connectionsRepository(ctx: RepoContext): Storage['vault']['connections'] {
  const db = vaultDb(ctx);
  return {
    async create(record) {
      await db.insertInto('vault_connections').values(connectionRow(record)).execute();
    },
    async get(id) {
      const row = await db.selectFrom('vault_connections').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? connectionRecord(row) : null;
    },
    async list(page) {
      const { limit, offset } = pageOf(page);
      const rows = await db.selectFrom('vault_connections').selectAll().orderBy('created_at').orderBy('id').limit(limit).offset(offset).execute();
      return rows.map(connectionRecord);
    },
    async update(record) {
      const { id, created_at: _created, ...rest } = connectionRow(record);
      return changed(await db.updateTable('vault_connections').set(rest).where('id', '=', id).executeTakeFirst()) > 0;
    },
    async delete(id) {
      return withTransaction(ctx, async (trx) => {
        const tx = trx as unknown as typeof db;
        await tx.deleteFrom('vault_entries').where('connection_id', '=', id).execute();
        return changed(await tx.deleteFrom('vault_connections').where('id', '=', id).executeTakeFirst()) > 0;
      });
    },
    async listNotUnderKek(kekId, filter) {
      let q = db.selectFrom('vault_connections').selectAll().where('client_secret_kek_id', 'is not', null).where('client_secret_kek_id', '<>', kekId);
      if (filter.afterId !== undefined) q = q.where('id', '>', filter.afterId);
      return (await q.orderBy('id').limit(filter.limit).execute()).map(connectionRecord);
    },
    async rewrapSecret(id, expected: VaultSealedRecord, next: VaultSealedRecord) {
      const result = await db
        .updateTable('vault_connections')
        .set({ client_secret_kek_id: next.kekId, client_secret_wrapped_key: next.wrappedKey })
        .where('id', '=', id)
        .where('client_secret_kek_id', '=', expected.kekId)
        .where('client_secret_wrapped_key', '=', expected.wrappedKey)
        .where('client_secret_ciphertext', '=', expected.ciphertext)
        .executeTakeFirst();
      return changed(result) > 0;
    },
  };
}

function entriesRepository(ctx: RepoContext): Storage['vault']['entries'] {
  const db = vaultDb(ctx);
  const select = () => db.selectFrom('vault_entries').selectAll();
  return {
    async create(record) {
      await db.insertInto('vault_entries').values(entryRow(record)).execute();
    },
    async get(id) {
      const row = await select().where('id', '=', id).executeTakeFirst();
      return row ? entryRecord(row) : null;
    },
    async getFor(userId, connectionId) {
      const row = await select().where('user_id', '=', userId).where('connection_id', '=', connectionId).executeTakeFirst();
      return row ? entryRecord(row) : null;
    },
    async listForUser(userId) {
      return (await select().where('user_id', '=', userId).orderBy('created_at').orderBy('id').execute()).map(entryRecord);
    },
    async listForConnection(connectionId, page) {
      const { limit, offset } = pageOf(page);
      const rows = await select().where('connection_id', '=', connectionId).orderBy('created_at').orderBy('id').limit(limit).offset(offset).execute();
      return rows.map(entryRecord);
    },
    async replaceSealed(id, expectedCiphertext, next, requireStatus) {
      let q = db
        .updateTable('vault_entries')
        .set({
          kek_id: next.sealed.kekId,
          wrapped_key: next.sealed.wrappedKey,
          ciphertext: next.sealed.ciphertext,
          status: next.status,
          last_error: next.lastError,
          refresh_lease_until: null,
          updated_at: next.updatedAt,
        })
        .where('id', '=', id)
        .where('ciphertext', '=', expectedCiphertext);
      if (requireStatus !== undefined) q = q.where('status', '=', requireStatus);
      return changed(await q.executeTakeFirst()) > 0;
    },
    async setStatus(id, status, lastError, at, requireStatus, expectedCiphertext) {
      let q = db.updateTable('vault_entries').set({ status, last_error: lastError, refresh_lease_until: null, updated_at: at }).where('id', '=', id);
      if (requireStatus !== undefined) q = q.where('status', '=', requireStatus);
      if (expectedCiphertext !== undefined) q = q.where('ciphertext', '=', expectedCiphertext);
      return changed(await q.executeTakeFirst()) > 0;
    },
    async markRevoked(id, at) {
      const result = await db
        .updateTable('vault_entries')
        // One statement: SET reads the row as it was, so a concurrent mark's reason is never lost between a read and this write.
        .set((eb) => ({ status: 'revoked', last_error: eb.case().when('status', '=', 'revoked').then(eb.ref('last_error')).else(null).end(), refresh_lease_until: null, updated_at: at }))
        .where('id', '=', id)
        .executeTakeFirst();
      return changed(result) > 0;
    },
    async revokeAllAtConnection(connectionId, lastError, at) {
      const result = await db.updateTable('vault_entries').set({ status: 'revoked', last_error: lastError, refresh_lease_until: null, updated_at: at }).where('connection_id', '=', connectionId).executeTakeFirst();
      return changed(result);
    },
    async claimRefresh(id, expectedCiphertext, until, now) {
      const result = await db
        .updateTable('vault_entries')
        .set({ refresh_lease_until: until })
        .where('id', '=', id)
        .where('status', '=', 'ok')
        .where('ciphertext', '=', expectedCiphertext)
        .where((eb) => eb.or([eb('refresh_lease_until', 'is', null), eb('refresh_lease_until', '<=', now)]))
        .executeTakeFirst();
      return changed(result) > 0;
    },
    async listNotUnderKek(kekId, filter) {
      let q = select().where('kek_id', '<>', kekId);
      if (filter.afterId !== undefined) q = q.where('id', '>', filter.afterId);
      return (await q.orderBy('id').limit(filter.limit).execute()).map(entryRecord);
    },
    async rewrap(id, expected, next) {
      const result = await db
        .updateTable('vault_entries')
        .set({ kek_id: next.kekId, wrapped_key: next.wrappedKey })
        .where('id', '=', id)
        .where('kek_id', '=', expected.kekId)
        .where('wrapped_key', '=', expected.wrappedKey)
        .executeTakeFirst();
      return changed(result) > 0;
    },
    async delete(id) {
      return changed(await db.deleteFrom('vault_entries').where('id', '=', id).executeTakeFirst()) > 0;
    },
  };
}

export function vaultRepository(ctx: RepoContext): Storage['vault'] {
  return { connections: connectionsRepository(ctx), entries: entriesRepository(ctx) };
}
