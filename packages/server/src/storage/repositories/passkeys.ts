/**
 * WebAuthn credentials (passkeys, HU-1). The public key and counter are what every later
 * assertion is checked against; the counter only ever moves forward, by compare-and-set, so two
 * concurrent uses of one assertion cannot both succeed (WebAuthn L3 §6.1.1).
 */
import type { Selectable } from 'kysely';
import type { PasskeysTable } from '../db-types.ts';
import type { PasskeyRecord } from '../records.ts';
import type { Storage } from '../storage.ts';
import { changed, fromJson, toFlag, toJson, type RepoContext } from '../context.ts';

function toRow(r: PasskeyRecord): PasskeysTable {
  return {
    credential_id: r.credentialId,
    user_id: r.userId,
    public_key: r.publicKey,
    counter: r.counter,
    transports: toJson(r.transports),
    device_type: r.deviceType,
    backed_up: toFlag(r.backedUp),
    aaguid: r.aaguid,
    name: r.name,
    created_at: r.createdAt,
    last_used_at: r.lastUsedAt,
  };
}

function fromRow(row: Selectable<PasskeysTable>): PasskeyRecord {
  return {
    credentialId: row.credential_id,
    userId: row.user_id,
    publicKey: row.public_key,
    counter: Number(row.counter),
    transports: fromJson(row.transports),
    deviceType: row.device_type === 'multiDevice' ? 'multiDevice' : 'singleDevice',
    backedUp: row.backed_up === 1,
    aaguid: row.aaguid,
    name: row.name,
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
  };
}

export function passkeysRepository(ctx: RepoContext): Storage['passkeys'] {
  return {
    /** Throws on a credential id already registered (to this or any user). */
    async create(record) {
      await ctx.db.insertInto('passkeys').values(toRow(record)).execute();
    },
    async get(credentialId) {
      const row = await ctx.db.selectFrom('passkeys').selectAll().where('credential_id', '=', credentialId).executeTakeFirst();
      return row ? fromRow(row) : null;
    },
    async listForUser(userId) {
      const rows = await ctx.db.selectFrom('passkeys').selectAll().where('user_id', '=', userId).orderBy('created_at').orderBy('credential_id').execute();
      return rows.map(fromRow);
    },
    async recordUse(credentialId, use) {
      const result = await ctx.db
        .updateTable('passkeys')
        .set({ counter: use.counter, backed_up: toFlag(use.backedUp), last_used_at: use.at })
        .where('credential_id', '=', credentialId)
        .where('counter', '=', use.expectedCounter)
        .executeTakeFirst();
      return changed(result) > 0;
    },
    async delete(credentialId, userId) {
      const result = await ctx.db.deleteFrom('passkeys').where('credential_id', '=', credentialId).where('user_id', '=', userId).executeTakeFirst();
      return changed(result) > 0;
    },
  };
}
