/** Agent identities (ID-2): an agent's own id, owner, limits, status, attestation and keys. */
import type { Selectable } from 'kysely';
import type { AgentsTable } from '../db-types.ts';
import type { AgentRecord } from '../records.ts';
import type { Storage } from '../storage.ts';
import { changed, fromJson, fromJsonOrNull, pageOf, toJson, toJsonOrNull, type RepoContext } from '../context.ts';
import { first } from '../statements.ts';
import { deepFreeze, perStorageCache, readThrough } from './sqlite-read-cache.ts';

/**
 * Bounds memory; past it the entry cached first is dropped. Entries are agents by id, agents by
 * client id, and "no agent" for each ordinary client that asked for a token (see getByClientId).
 */
export const AGENT_CACHE_MAX_ENTRIES = 2000;

/**
 * Agent lookups by `id:<agent id>` and `client:<client id>`, SQLite only (sqlite-read-cache.ts).
 * ID-2 "suspending an agent stops it at once": every agent write clears the whole cache (writes
 * are rare, and an update can move a client binding between keys), when issued and when settled.
 */
const agentCacheFor = perStorageCache<AgentRecord | null>(AGENT_CACHE_MAX_ENTRIES);

function toRow(r: AgentRecord): AgentsTable {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    owner_user_id: r.ownerUserId,
    allowed_scopes: toJson(r.allowedScopes),
    allowed_audiences: toJson(r.allowedAudiences),
    allowed_tools: toJson(r.allowedTools),
    max_delegation_depth: r.maxDelegationDepth,
    status: r.status,
    suspended_by: r.suspendedBy,
    attestation: toJsonOrNull(r.attestation),
    jwks: toJsonOrNull(r.jwks),
    client_id: r.clientId,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}

function fromRow(row: Selectable<AgentsTable>): AgentRecord {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    ownerUserId: row.owner_user_id,
    allowedScopes: fromJson(row.allowed_scopes),
    allowedAudiences: fromJson(row.allowed_audiences),
    allowedTools: fromJson(row.allowed_tools),
    maxDelegationDepth: row.max_delegation_depth,
    status: row.status as AgentRecord['status'],
    suspendedBy: suspenderOf(row),
    attestation: fromJsonOrNull(row.attestation),
    jwks: fromJsonOrNull(row.jwks),
    clientId: row.client_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * A suspended row without a (known) suspender counts as an administrator's: only an administrator
 * may then lift it. Migration 0012 marks older rows so; this also covers a row written by hand.
 */
function suspenderOf(row: Selectable<AgentsTable>): AgentRecord['suspendedBy'] {
  if (row.status !== 'suspended') return null;
  return row.suspended_by === 'owner' ? 'owner' : 'admin';
}

export function agentsRepository(ctx: RepoContext): Storage['agents'] {
  // SQLite only; PostgreSQL is shared by several server instances and reads every time.
  const cache = agentCacheFor(ctx);
  /** Records from the lookups are frozen on every backend (a cached one is shared by all callers); `list` returns fresh ones. */
  const read = async (sql: string, key: string): Promise<AgentRecord | null> => {
    const row = await first<Selectable<AgentsTable>>(ctx, sql, [key]);
    return row ? deepFreeze(fromRow(row)) : null;
  };
  // In a transaction (checkAgentStillActive, agents/identity.ts) readThrough reads the row.
  const lookup = (sql: string, key: string, cacheKey: string, cacheAbsent: boolean) => readThrough(cache, ctx, cacheKey, () => read(sql, key), cacheAbsent);
  /** Any agent write: on SQLite it clears the whole agent cache (also from inside a transaction). */
  const writing = <T>(write: () => Promise<T>): Promise<T> => (cache ? cache.writingAll(write) : write());
  return {
    /** Read on every token exchange, twice (verification, then the issuing transaction): precompiled (statements.ts), cached on SQLite. */
    async get(id) {
      // Unknown ids are not cached: an actor token's issuer is anyone's to choose, and would only evict real entries.
      return lookup('select * from agents where id = ?', id, `id:${id}`, false);
    },
    /**
     * The issuing transaction's re-read (checkAgentStillActive, agents/identity.ts). PostgreSQL
     * (READ COMMITTED): `for share` holds the row until this transaction commits, so a concurrent
     * suspension's UPDATE waits for it and the revocation after that sees this transaction's grant;
     * a suspension already under way is waited for and its new status read. SQLite: BEGIN IMMEDIATE
     * already serialises the two, so a plain (cached) read.
     */
    async getForShare(id) {
      if (ctx.kind === 'postgres') return read('select * from agents where id = ? for share', id);
      return lookup('select * from agents where id = ?', id, `id:${id}`, false);
    },
    /**
     * Every client_credentials grant asks, and for an ordinary client the answer is null: that
     * answer is cached too, by client id (callers pass an authenticated client's id; the bound caps the rest).
     */
    async getByClientId(clientId) {
      return lookup('select * from agents where client_id = ?', clientId, `client:${clientId}`, true);
    },
    /** Throws on a duplicate id or a client already bound to another agent (unique index). */
    async create(record) {
      await writing(() => ctx.db.insertInto('agents').values(toRow(record)).execute());
    },
    /** Replaces the whole record; false when absent. */
    async update(record) {
      const { id, ...rest } = toRow(record);
      const result = await writing(() => ctx.db.updateTable('agents').set(rest).where('id', '=', id).executeTakeFirst());
      return changed(result) > 0;
    },
    /** Creation order, paged. */
    async list(filter) {
      const { limit, offset } = pageOf(filter);
      let q = ctx.db.selectFrom('agents').selectAll();
      if (filter.ownerUserId !== undefined) q = q.where('owner_user_id', '=', filter.ownerUserId);
      const rows = await q.orderBy('created_at').orderBy('id').limit(limit).offset(offset).execute();
      return rows.map(fromRow);
    },
  };
}
