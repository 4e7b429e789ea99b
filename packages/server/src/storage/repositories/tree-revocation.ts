/**
 * The revocation walk (CO-1) every tree revocation shares — grants (revokeTree, by agent, by
 * user), consents, sessions, access tokens with what was exchanged from them (derived-grants.ts):
 * the tree locked, its grants, refresh and access tokens revoked, and the revocation events.
 */
import { sql, type ExpressionOrFactory, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { Database } from '../db-types.ts';
import { appendRevocationEvents, type RevocationEventInput } from './revocations.ts';
import { withTransaction, type RepoContext } from '../context.ts';

/** Bound parameters per statement stay far below SQLite's and PostgreSQL's limits. */
const CHUNK = 500;

export function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/**
 * What a revocation changed in its transaction, its events not yet appended: the caller appends
 * them all at once, last (appendRevocationEvents takes the audit lock on PostgreSQL, and an
 * issuer takes it after its grant locks, so no grant lock may be taken after it).
 */
export interface Revoked {
  /** The grants this call revoked (not those revoked before). */
  grants: string[];
  tokenEvents: RevocationEventInput[];
  grantEvents: RevocationEventInput[];
}

/** Several revocations' events as one append: every token event, then every grant event (the feed's order). */
export function eventsOf(...all: Revoked[]): RevocationEventInput[] {
  return [...all.flatMap((r) => r.tokenEvents), ...all.flatMap((r) => r.grantEvents)];
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
export async function revokeTrees(ctx: RepoContext, seed: RawBuilder<unknown>, at: number, reason: string): Promise<string[]> {
  return withTransaction(ctx, async (db) => {
    const tree = await revokeTreeRows({ ...ctx, db, inTransaction: true }, db, seed, at, reason);
    await appendRevocationEvents(ctx, db, eventsOf(tree));
    return tree.grants;
  });
}

/** revokeTrees inside the caller's transaction `db`, the events returned rather than appended. */
export async function revokeTreeRows(ctx: RepoContext, db: Kysely<Database>, seed: RawBuilder<unknown>, at: number, reason: string): Promise<Revoked> {
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
  return { grants: revoked, tokenEvents: events, grantEvents: await grantEvents(db, revoked, at, reason) };
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
export async function lockSeeds(ctx: RepoContext, db: Kysely<Database>, seed: RawBuilder<unknown> | RawBuilder<unknown>[]): Promise<void> {
  const seeds = Array.isArray(seed) ? seed : [seed];
  if (ctx.kind !== 'postgres' || seeds.length === 0) return; // no seed, no tree (and `with recursive` needs an anchor)
  // Several seeds: one anchor branch each, `union`ed, never one `or` of them — PostgreSQL plans
  // each branch on its own index (grants_client_id, grants_agent_id, grants_user_id,
  // grants_subject_token_jti), while an `or` with an `in (select …)` among its arms can use no
  // index at all and scans every grant (grantless-revocation-plans.test.ts).
  const anchors = sql.join(seeds.map((s) => sql`select id from grants where ${s}`), sql` union `);
  // The whole tree, not only the seeds, in one statement: the revocation then takes no grant lock
  // later (its updates) out of id order, whatever another revocation or an issuance holds.
  await sql`
    select id from grants where id in (
      with recursive tree(id) as (
        ${anchors}
        union
        select g.id from grants g join tree t on g.parent_grant_id = t.id
      )
      select id from tree
    )
    order by id for update`.execute(db);
}

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

/** Which access tokens on no grant a bulk revocation takes: a client's, a user's. */
export type GrantlessOwner = ExpressionOrFactory<Database, 'access_tokens', SqlBool>;

/**
 * Revokes the live access tokens on no grant that `owner` selects (a client's, a user's) and
 * returns them for their revocation events. Only unexpired ones (`expires_at > at`): an expired
 * token needs no revocation nor event, introspection and resource servers refuse it anyway. This
 * runs under locks issuance waits for, so it reads only the owner's live grant-less rows: a range
 * of access_tokens_grantless_client (client_id, expires_at) or access_tokens_grantless_user
 * (user_id, expires_at), both partial on `grant_id is null` (migration 0014).
 */
export function revokeLiveGrantless(db: Kysely<Database>, owner: GrantlessOwner, at: number): Promise<{ jti: string; expires_at: number }[]> {
  return db.updateTable('access_tokens').set({ revoked_at: at }).where(owner).where(liveWithoutGrant(at)).returning(['jti', 'expires_at']).execute();
}

/**
 * The jtis revokeLiveGrantless would revoke now, as a subquery (derived-grants.ts locks them, and
 * what was exchanged from them, first): the same filter, so what is locked is what is revoked.
 */
export function liveGrantlessJtis(db: Kysely<Database>, owner: GrantlessOwner, at: number) {
  return db.selectFrom('access_tokens').select('jti').where(owner).where(liveWithoutGrant(at));
}

/** Tokens on no grant, not revoked, unexpired at `at` (with an owner's filter: a range of its partial index). */
function liveWithoutGrant(at: number): ExpressionOrFactory<Database, 'access_tokens', SqlBool> {
  return (eb) => eb.and([eb('grant_id', 'is', null), eb('revoked_at', 'is', null), eb('expires_at', '>', at)]);
}

/**
 * A tree seed: the grants exchanged from the live tokens on no grant `owner` selects. The query
 * builder is interpolated bare: Kysely parenthesises it, `in (select …)` (`in ((select …))` is the
 * same subquery on both backends, not a list of one scalar subquery; several tokens each exchanged:
 * contract-grantless-lineage-locks.test.ts).
 */
export function exchangedFromLiveGrantless(db: Kysely<Database>, owner: GrantlessOwner, at: number): RawBuilder<unknown> {
  return sql`subject_token_jti in ${liveGrantlessJtis(db, owner, at)}`;
}
