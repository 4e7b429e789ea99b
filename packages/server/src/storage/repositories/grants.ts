/** Grants: one authorization that codes, refresh and access tokens derive from, and its revocation. */
import { sql, type ExpressionOrFactory, type Kysely, type RawBuilder, type Selectable, type SqlBool } from 'kysely';
import type { Database, GrantsTable } from '../db-types.ts';
import type { GrantDelegation, GrantRecord } from '../records.ts';
import type { Storage } from '../storage.ts';
import { execute, first } from '../statements.ts';
import { appendRevocationEvents, type RevocationEventInput } from './revocations.ts';
import { fromJson, fromJsonOrNull, pageOf, toJson, toJsonOrNull, withTransaction, type RepoContext } from '../context.ts';

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

/** Bound parameters per statement stay far below SQLite's and PostgreSQL's limits. */
const CHUNK = 500;

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/**
 * Every grant reachable from the seed grants through parent_grant_id, seeds included.
 * UNION (not UNION ALL) makes the walk terminate even if a cycle were ever written.
 */
async function treeIds(db: Kysely<Database>, seed: RawBuilder<unknown>): Promise<string[]> {
  const result = await sql<{ id: string }>`
    with recursive tree(id) as (
      select id from grants where ${seed}
      union
      select g.id from grants g join tree t on g.parent_grant_id = t.id
    )
    select id from tree`.execute(db);
  return result.rows.map((r) => r.id);
}

/**
 * Revokes the grants of the tree and every refresh and access token issued under them, and
 * appends the revocation events (CO-1) in the same transaction: one per access token still
 * unexpired (by jti, until its expiry) and one per grant this call revoked (until the last
 * expiry of its access tokens, at least `at`). Returns only the grants this call revoked:
 * grants already revoked are left as they were (their first revocation time and reason stand)
 * and are not in the result, but their descendants and tokens are still revoked.
 */
export async function revokeTrees(ctx: RepoContext, seed: RawBuilder<unknown>, at: number, reason: string, extra?: ExtraRevocation): Promise<string[]> {
  return withTransaction(ctx, async (db) => {
    await lockSeeds(ctx, db, seed);
    const ids = await treeIds(db, seed);
    const revoked: string[] = [];
    const events: RevocationEventInput[] = [];
    for (const part of chunks(ids)) {
      const rows = await db
        .updateTable('grants')
        .set({ revoked_at: at, revoked_reason: reason })
        .where('id', 'in', part)
        .where('revoked_at', 'is', null)
        .returning('id')
        .execute();
      revoked.push(...rows.map((r) => r.id));
      await db.updateTable('refresh_tokens').set({ revoked_at: at }).where('grant_id', 'in', part).where('revoked_at', 'is', null).execute();
      const tokens = await db.updateTable('access_tokens').set({ revoked_at: at }).where('grant_id', 'in', part).where('revoked_at', 'is', null).returning(['jti', 'expires_at']).execute();
      events.push(...tokenEvents(tokens, at, reason));
    }
    if (extra) events.push(...tokenEvents(await extra(db), at, reason));
    events.push(...(await grantEvents(db, revoked, at, reason)));
    await appendRevocationEvents(ctx, db, events);
    return revoked;
  });
}

/**
 * CO-1 race with issuance (RFC 7009 §2.1: revoking a grant's token ends every token of the grant).
 * PostgreSQL, READ COMMITTED: the recursive walk sees the rows committed when ITS statement starts.
 * An issuing transaction holds its grant and every ancestor `for share` (lockAncestry) until it
 * commits, so the seed grants are locked `for update` here in a statement of their own first:
 * either the issuer committed before (the walk, started after the lock, sees its rows) or it
 * waits and then reads the grants revoked. Id order, as lockAncestry, so two lockers never
 * deadlock (sortable ids: an ancestor's id is smaller than its descendants'). SQLite serialises
 * whole transactions (BEGIN IMMEDIATE), so the issuer's in-transaction re-read is enough there.
 */
export async function lockSeeds(ctx: RepoContext, db: Kysely<Database>, seed: RawBuilder<unknown>): Promise<void> {
  if (ctx.kind !== 'postgres') return;
  // The whole tree, not only the seeds, in one statement: the revocation then takes no grant lock
  // later (its updates) out of id order, whatever another revocation or an issuance holds.
  await sql`
    select id from grants where id in (
      with recursive tree(id) as (
        select id from grants where ${seed}
        union
        select g.id from grants g join tree t on g.parent_grant_id = t.id
      )
      select id from tree
    )
    order by id for update`.execute(db);
}

/**
 * Deprovisioning (account/deprovision.ts) revokes several trees in one transaction: each agent's
 * (agent row updated, then its grants) and then the user's. Taken one by one, those locks cross
 * an issuance's (agent `for share`, then the grant ancestry, then token rows): e.g. an exchange by
 * one of the user's agents of a token another of them holds. So everything is locked up front in
 * the issuance order: the agents (id order), then every grant tree (one statement, id order).
 */
async function lockUserTrees(ctx: RepoContext, userId: string): Promise<void> {
  if (ctx.kind !== 'postgres') return;
  await withTransaction(ctx, async (db) => {
    await sql`select id from agents where owner_user_id = ${userId} order by id for update`.execute(db);
    await lockSeeds(ctx, db, sql`user_id = ${userId} or agent_id in (select id from agents where owner_user_id = ${userId})`);
  });
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

/** More access tokens to revoke with a tree (an agent's client_credentials tokens rest on no grant). */
type ExtraRevocation = (db: Kysely<Database>) => Promise<{ jti: string; expires_at: number }[]>;

/** Tokens already expired need no event: a resource server refuses them anyway. */
export function tokenEvents(tokens: { jti: string; expires_at: number }[], at: number, reason: string): RevocationEventInput[] {
  return tokens.filter((t) => t.expires_at > at).map((t) => ({ jti: t.jti, grantId: null, expiresAt: t.expires_at, revokedAt: at, reason }));
}

/** A grant event lives as long as the longest-lived access token issued under the grant. */
async function grantEvents(db: Kysely<Database>, grantIds: string[], at: number, reason: string): Promise<RevocationEventInput[]> {
  const lastExpiry = new Map<string, number>();
  for (const part of chunks(grantIds)) {
    const rows = await db
      .selectFrom('access_tokens')
      .select(['grant_id', (eb) => eb.fn.max('expires_at').as('last')])
      .where('grant_id', 'in', part)
      .groupBy('grant_id')
      .execute();
    for (const row of rows) if (row.grant_id !== null) lastExpiry.set(row.grant_id, Number(row.last));
  }
  return grantIds.map((id) => ({ jti: null, grantId: id, expiresAt: Math.max(lastExpiry.get(id) ?? at, at), revokedAt: at, reason }));
}

/**
 * Revokes the live access tokens on no grant that `owner` selects (a client's, a user's) and
 * returns them for their revocation events. Only unexpired ones (`expires_at > at`): an expired
 * token needs no revocation nor event, introspection and resource servers refuse it anyway. This
 * runs under locks issuance waits for, so it reads only the owner's live grant-less rows: a range
 * of access_tokens_grantless_client (client_id, expires_at) or access_tokens_grantless_user
 * (user_id, expires_at), both partial on `grant_id is null` (migration 0014).
 */
export function revokeLiveGrantless(db: Kysely<Database>, owner: ExpressionOrFactory<Database, 'access_tokens', SqlBool>, at: number): Promise<{ jti: string; expires_at: number }[]> {
  return db
    .updateTable('access_tokens')
    .set({ revoked_at: at })
    .where(owner)
    .where('grant_id', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', at)
    .returning(['jti', 'expires_at'])
    .execute();
}

/** An agent's own client_credentials tokens (no grant): revoked with the agent's grants. */
function agentClientTokens(agentId: string, at: number): ExtraRevocation {
  return (db) =>
    revokeLiveGrantless(db, (eb) => eb('client_id', 'in', db.selectFrom('agents').select('client_id').where('id', '=', agentId).where('client_id', 'is not', null).$narrowType<{ client_id: string }>()), at);
}

/**
 * A user's tokens on no grant (ID-JAG, RFC 7523 user assertions): introspection already counts
 * them dead once the user is disabled (endpoints/token-state.ts); revoked with the user's grants
 * so the feed (CO-1) tells resource servers too. Token rows after the grants: the lock order holds.
 */
function userGrantlessTokens(userId: string, at: number): ExtraRevocation {
  return (db) => revokeLiveGrantless(db, (eb) => eb('user_id', '=', userId), at);
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
    /** The agent's grants and their trees, plus the client_credentials tokens of the agent's client. */
    revokeByAgent(agentId, at, reason) {
      return revokeTrees(ctx, sql`agent_id = ${agentId}`, at, reason, agentClientTokens(agentId, at));
    },
    /** The user's grants and their trees, plus the user's tokens on no grant (ID-JAG). */
    revokeByUser(userId, at, reason) {
      return revokeTrees(ctx, sql`user_id = ${userId}`, at, reason, userGrantlessTokens(userId, at));
    },
    lockUserTrees(userId) {
      return lockUserTrees(ctx, userId);
    },
  };
}
