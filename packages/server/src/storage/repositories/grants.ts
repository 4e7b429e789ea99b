/** Grants: one authorization that codes, refresh and access tokens derive from, and its revocation (walk: tree-revocation.ts). */
import { sql, type ExpressionBuilder, type Selectable } from 'kysely';
import type { Database, GrantsTable } from '../db-types.ts';
import type { GrantDelegation, GrantRecord } from '../records.ts';
import type { Storage } from '../storage.ts';
import { execute, first } from '../statements.ts';
import { fromJson, fromJsonOrNull, pageOf, toJson, toJsonOrNull, withTransaction, type RepoContext } from '../context.ts';
import { revokeTrees, type GrantlessOwner } from './tree-revocation.ts';
import { lockGrantlessRevocation, revokeTreesWithGrantless } from './derived-grants.ts';

function fromRow(row: Selectable<GrantsTable>): GrantRecord {
  return {
    id: row.id,
    userId: row.user_id,
    clientId: row.client_id,
    agentId: row.agent_id,
    parentGrantId: row.parent_grant_id,
    scope: row.scope,
    resources: fromJson(row.resources),
    authorizationDetails: fromJsonOrNull(row.authorization_details),
    consentId: row.consent_id,
    // Left out when null, like delegation below (migration 0013).
    ...(row.session_id_hash !== null ? { sessionIdHash: row.session_id_hash } : {}),
    ...(row.subject_token_jti !== null ? { subjectTokenJti: row.subject_token_jti } : {}), // likewise (migration 0016)
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    revokedReason: row.revoked_reason,
    // Left out rather than null on other grants, so a record reads back exactly as it was written.
    ...(row.delegation_chain !== null ? { delegation: delegationOf(row, row.delegation_chain) } : {}),
  };
}

function delegationOf(row: Selectable<GrantsTable>, chain: string): GrantDelegation {
  return {
    chain: fromJson(chain),
    profile: row.delegation_profile === 'delegation' ? 'delegation' : 'impersonation',
    authTime: row.auth_time === null ? null : Number(row.auth_time),
    acr: row.acr,
    amr: row.amr === null ? [] : fromJson(row.amr),
  };
}

/**
 * Deprovisioning (account/deprovision.ts) revokes several trees in one transaction: each agent's
 * (agent row updated, then its grants, its client's tokens on no grant and what was exchanged from
 * them, then the events: the audit lock) and then the user's (with the user's tokens on no grant).
 * Taken one by one, those locks cross an issuance's (agent `for share`, then the grant ancestry,
 * then token rows, then the audit lock): e.g. an exchange by one of the user's agents of a token
 * another of them holds, or a refresh of a grant exchanged from the second agent's client's token
 * waiting for the audit lock the first agent's events took. So everything is locked up front in
 * the issuance order: the agents (id order), then every grant tree — the user's, those the user's
 * agents act in, and those exchanged from the live tokens on no grant of the user and of the
 * agents' clients (one statement, id order) —, then those tokens (lockGrantlessRevocation).
 */
async function lockUserTrees(ctx: RepoContext, userId: string, at: number): Promise<void> {
  if (ctx.kind !== 'postgres') return;
  await withTransaction(ctx, async (db) => {
    await sql`select id from agents where owner_user_id = ${userId} order by id for update`.execute(db);
    const agentClients = (eb: ExpressionBuilder<Database, 'access_tokens'>) =>
      eb('client_id', 'in', eb.selectFrom('agents').select('client_id').where('owner_user_id', '=', userId).where('client_id', 'is not', null).$narrowType<{ client_id: string }>());
    // Each owner a seed, and an owner of tokens, of its own (`union`ed, never one `or`): each is
    // then read through its own index (grants_user_id, grants_agent_id; the grant-less partial ones).
    const seeds = [sql`user_id = ${userId}`, sql`agent_id in (select id from agents where owner_user_id = ${userId})`];
    await lockGrantlessRevocation(ctx, db, seeds, [(eb) => eb('user_id', '=', userId), agentClients], at);
  });
}

/**
 * Client deletion (clients/lifecycle.ts) revokes the client's trees one by one (each appends its
 * events: the audit lock), then its tokens on no grant and the trees exchanged from them, often
 * another client's. So all of them are locked up front, in one statement, id order, then those
 * tokens (lockGrantlessRevocation): no grant that existed then is locked after the first tree's
 * events — a grant a concurrent authorization or issuance creates for the client since still is
 * (40P01 possible with an issuer under it; both sides retry, lockGrantlessRevocation).
 */
async function lockClientTrees(ctx: RepoContext, clientId: string, at: number): Promise<void> {
  if (ctx.kind !== 'postgres') return;
  await withTransaction(ctx, (db) => lockGrantlessRevocation(ctx, db, [sql`client_id = ${clientId}`], [(eb) => eb('client_id', '=', clientId)], at));
}

/**
 * The grant and its ancestors (parent_grant_id up to the root), root first by id. PostgreSQL:
 * locked `for share` until the transaction ends (one statement, id order); a row-locking read
 * returns each row's latest committed version, so a revocation that committed while it waited
 * shows in revoked_at. `union`: a (corrupt) cycle ends the walk.
 */
const ANCESTRY = `with recursive up(id, parent) as (
  select id, parent_grant_id from grants where id = ?
  union select g.id, g.parent_grant_id from grants g join up on g.id = up.parent
)
select id, revoked_at, revoked_reason from grants where id in (select id from up) order by id`;

/**
 * An agent's own client_credentials tokens (no grant): revoked with the agent's grants, and with
 * them the trees exchanged from those tokens (derived-grants.ts) — often another client's, acting
 * for no agent, which the agent's walk does not reach.
 */
function agentClientTokens(agentId: string): GrantlessOwner {
  return (eb) => eb('client_id', 'in', eb.selectFrom('agents').select('client_id').where('id', '=', agentId).where('client_id', 'is not', null).$narrowType<{ client_id: string }>());
}

/** delegation_chain, delegation_profile, auth_time, acr, amr: all null on grants that are no exchange's. */
function delegationColumns(d: GrantDelegation | null): [string | null, string | null, number | null, string | null, string | null] {
  if (d === null) return [null, null, null, null, null];
  return [toJson(d.chain), d.profile, d.authTime, d.acr, toJson(d.amr)];
}

/** Grants are created and checked on every token request: precompiled (statements.ts). */
const INSERT =
  'insert into grants (id, user_id, client_id, agent_id, parent_grant_id, scope, resources, authorization_details, consent_id, created_at, revoked_at, revoked_reason, delegation_chain, delegation_profile, auth_time, acr, amr, session_id_hash, subject_token_jti) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

export function grantsRepository(ctx: RepoContext): Storage['grants'] {
  return {
    async create(r) {
      await execute(ctx, INSERT, [
        r.id,
        r.userId,
        r.clientId,
        r.agentId,
        r.parentGrantId,
        r.scope,
        toJson(r.resources),
        toJsonOrNull(r.authorizationDetails),
        r.consentId,
        r.createdAt,
        r.revokedAt,
        r.revokedReason,
        ...delegationColumns(r.delegation ?? null),
        r.sessionIdHash ?? null,
        r.subjectTokenJti ?? null,
      ]);
    },
    async get(id) {
      const row = await first<Selectable<GrantsTable>>(ctx, 'select * from grants where id = ?', [id]);
      return row ? fromRow(row) : null;
    },
    async list(filter) {
      const { limit, offset } = pageOf(filter);
      let q = ctx.db.selectFrom('grants').selectAll();
      if (filter.userId !== undefined) q = q.where('user_id', '=', filter.userId);
      if (filter.clientId !== undefined) q = q.where('client_id', '=', filter.clientId);
      if (filter.agentId !== undefined) q = q.where('agent_id', '=', filter.agentId);
      if (!filter.includeRevoked) q = q.where('revoked_at', 'is', null);
      const rows = await q.orderBy('created_at').orderBy('id').limit(limit).offset(offset).execute();
      return rows.map(fromRow);
    },
    async lockAncestry(id) {
      const text = ctx.kind === 'postgres' ? `${ANCESTRY} for share` : ANCESTRY;
      // Only what the liveness check reads: no JSON columns to parse on the issuance hot path.
      const rows = (await execute<{ id: string; revoked_at: number | null; revoked_reason: string | null }>(ctx, text, [id])).rows;
      return rows.map((r) => ({ id: r.id, revokedAt: r.revoked_at === null ? null : Number(r.revoked_at), revokedReason: r.revoked_reason }));
    },
    revokeTree(id, at, reason) {
      return revokeTrees(ctx, sql`id = ${id}`, at, reason);
    },
    /** The agent's grants and their trees, plus the client_credentials tokens of the agent's client and the trees exchanged from them. */
    revokeByAgent(agentId, at, reason) {
      return revokeTreesWithGrantless(ctx, sql`agent_id = ${agentId}`, agentClientTokens(agentId), at, reason);
    },
    /**
     * The user's grants and their trees, plus the user's tokens on no grant (ID-JAG, RFC 7523 user
     * assertions) and the trees exchanged from them: introspection already counts those tokens
     * dead once the user is disabled (endpoints/token-state.ts); revoked so the feed (CO-1) tells
     * resource servers too. What was exchanged from them is the user's (user_id), but one exchange
     * committing while this runs is caught only by waiting on those tokens' rows (derived-grants.ts).
     */
    revokeByUser(userId, at, reason) {
      return revokeTreesWithGrantless(ctx, sql`user_id = ${userId}`, (eb) => eb('user_id', '=', userId), at, reason);
    },
    lockUserTrees(userId, at) {
      return lockUserTrees(ctx, userId, at);
    },
    lockClientTrees(clientId, at) {
      return lockClientTrees(ctx, clientId, at);
    },
  };
}
