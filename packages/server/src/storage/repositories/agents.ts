/** Agent identities (ID-2): an agent's own id, owner, limits, status, attestation and keys. */
import type { Selectable } from 'kysely';
import type { AgentsTable } from '../db-types.ts';
import type { AgentRecord } from '../records.ts';
import type { Storage } from '../storage.ts';
import { changed, fromJson, fromJsonOrNull, pageOf, toJson, toJsonOrNull, type RepoContext } from '../context.ts';
import { first } from '../statements.ts';

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
    attestation: fromJsonOrNull(row.attestation),
    jwks: fromJsonOrNull(row.jwks),
    clientId: row.client_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function agentsRepository(ctx: RepoContext): Storage['agents'] {
  return {
    /** Read on every token exchange, twice (verification, then the issuing transaction): precompiled (statements.ts). */
    async get(id) {
      const row = await first<Selectable<AgentsTable>>(ctx, 'select * from agents where id = ?', [id]);
      return row ? fromRow(row) : null;
    },
    async getByClientId(clientId) {
      const row = await first<Selectable<AgentsTable>>(ctx, 'select * from agents where client_id = ?', [clientId]);
      return row ? fromRow(row) : null;
    },
    /** Throws on a duplicate id or a client already bound to another agent (unique index). */
    async create(record) {
      await ctx.db.insertInto('agents').values(toRow(record)).execute();
    },
    /** Replaces the whole record; false when absent. */
    async update(record) {
      const { id, ...rest } = toRow(record);
      const result = await ctx.db.updateTable('agents').set(rest).where('id', '=', id).executeTakeFirst();
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
