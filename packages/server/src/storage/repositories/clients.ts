/** Registered OAuth clients (RFC 7591 metadata; secrets and registration tokens only as SHA-256). */
import type { Selectable } from 'kysely';
import type { ClientsTable } from '../db-types.ts';
import type { ClientRecord } from '../records.ts';
import type { Storage } from '../storage.ts';
import { first } from '../statements.ts';
import { changed, fromJson, fromJsonOrNull, pageOf, toFlag, toJson, toJsonOrNull, type RepoContext } from '../context.ts';
import { deepFreeze, perStorageCache, readThrough } from './sqlite-read-cache.ts';

/** Bounds memory; past it the client cached first is dropped (a few hundred clients is typical). */
export const CLIENT_CACHE_MAX_ENTRIES = 1000;

/** Parsed client records by client_id, SQLite only (sqlite-read-cache.ts); unknown ids are not cached. */
const clientCacheFor = perStorageCache<ClientRecord | null>(CLIENT_CACHE_MAX_ENTRIES);

function toRow(r: ClientRecord): ClientsTable {
  return {
    client_id: r.clientId,
    client_secret_hash: r.clientSecretHash,
    client_secret_expires_at: r.clientSecretExpiresAt,
    client_name: r.clientName,
    redirect_uris: toJson(r.redirectUris),
    grant_types: toJson(r.grantTypes),
    response_types: toJson(r.responseTypes),
    token_endpoint_auth_method: r.tokenEndpointAuthMethod,
    jwks: toJsonOrNull(r.jwks),
    jwks_uri: r.jwksUri,
    scope: r.scope,
    application_type: r.applicationType,
    software_id: r.softwareId,
    software_version: r.softwareVersion,
    require_par: toFlag(r.requirePar),
    dpop_bound_access_tokens: toFlag(r.dpopBoundAccessTokens),
    registration_access_token_hash: r.registrationAccessTokenHash,
    source: r.source,
    metadata: toJson(r.metadata),
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}

function fromRow(row: Selectable<ClientsTable>): ClientRecord {
  return {
    clientId: row.client_id,
    clientSecretHash: row.client_secret_hash,
    clientSecretExpiresAt: row.client_secret_expires_at,
    clientName: row.client_name,
    redirectUris: fromJson(row.redirect_uris),
    grantTypes: fromJson(row.grant_types),
    responseTypes: fromJson(row.response_types),
    tokenEndpointAuthMethod: row.token_endpoint_auth_method as ClientRecord['tokenEndpointAuthMethod'],
    jwks: fromJsonOrNull(row.jwks),
    jwksUri: row.jwks_uri,
    scope: row.scope,
    applicationType: row.application_type as ClientRecord['applicationType'],
    softwareId: row.software_id,
    softwareVersion: row.software_version,
    requirePar: row.require_par === 1,
    dpopBoundAccessTokens: row.dpop_bound_access_tokens === 1,
    registrationAccessTokenHash: row.registration_access_token_hash,
    source: row.source as ClientRecord['source'],
    metadata: fromJson(row.metadata),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function clientsRepository(ctx: RepoContext): Storage['clients'] {
  // SQLite only (sqlite-read-cache.ts); PostgreSQL is shared by several server instances and reads every time.
  const cache = clientCacheFor(ctx);
  /** Records from the lookups are frozen on every backend (a cached one is shared by all callers); `list` returns fresh ones. */
  const read = async (clientId: string): Promise<ClientRecord | null> => {
    const row = await first<Selectable<ClientsTable>>(ctx, 'select * from clients where client_id = ?', [clientId]);
    return row ? deepFreeze(fromRow(row)) : null;
  };
  /** A write of `clientId`: on SQLite it invalidates the cached record (also from inside a transaction). */
  const writing = <T>(clientId: string, write: () => Promise<T>): Promise<T> => (cache ? cache.writing(clientId, write) : write());
  return {
    /** Every token request looks its client up: precompiled (statements.ts), and cached on SQLite. */
    async get(clientId) {
      // Unknown ids are not cached: anyone can send them, and a later create must be seen.
      return readThrough(cache, ctx, clientId, () => read(clientId), false);
    },
    /**
     * `get` at the start of a transaction that writes the client from what it read (RFC 7592 PUT:
     * the registration access token is compared again, then replaced). PostgreSQL `for update`
     * waits for a writer holding the row and returns its committed version (or nothing, once a
     * delete committed); SQLite transactions are already serialised. Never from the read cache.
     */
    async getForUpdate(clientId) {
      let q = ctx.db.selectFrom('clients').selectAll().where('client_id', '=', clientId);
      if (ctx.kind === 'postgres') q = q.forUpdate();
      const row = await q.executeTakeFirst();
      return row ? deepFreeze(fromRow(row)) : null;
    },
    /**
     * The re-check of a grant-less issuance (grants/shared/client-liveness.ts), on the benchmarked
     * client_credentials path: one primary-key read of no column, precompiled (statements.ts).
     * PostgreSQL (READ COMMITTED): `for key share` holds the row until the issuing transaction
     * commits, so a deletion's `for update` (clients/lifecycle.ts) waits for it and its revocation
     * then sees the token; a deletion already committed leaves no row. SQLite: the transaction
     * holds the connection, so a plain read inside it is as good; never the read cache.
     */
    async existsForShare(clientId) {
      // FOR KEY SHARE: waits for a deletion (its FOR UPDATE / DELETE) yet lets a secret rotation or
      // metadata update of the same row go on — only the row's existence matters here.
      const row = await first<{ found: unknown }>(ctx, ctx.kind === 'postgres' ? 'select 1 as found from clients where client_id = ? for key share' : 'select 1 as found from clients where client_id = ?', [clientId]);
      return row !== undefined;
    },
    async create(record) {
      await writing(record.clientId, () => ctx.db.insertInto('clients').values(toRow(record)).execute());
    },
    async update(record) {
      const { client_id, ...rest } = toRow(record);
      const result = await writing(client_id, () => ctx.db.updateTable('clients').set(rest).where('client_id', '=', client_id).executeTakeFirst());
      return changed(result) > 0;
    },
    async delete(clientId) {
      const result = await writing(clientId, () => ctx.db.deleteFrom('clients').where('client_id', '=', clientId).executeTakeFirst());
      return changed(result) > 0;
    },
    async list(page) {
      const { limit, offset } = pageOf(page);
      const rows = await ctx.db.selectFrom('clients').selectAll().orderBy('created_at').orderBy('client_id').limit(limit).offset(offset).execute();
      return rows.map(fromRow);
    },
  };
}
