/**
 * CO-1 (migration 0016): a grant exchanged from one of our access tokens (RFC 8693) records that
 * token's jti (grants.subject_token_jti). A token is no grant: those trees hang off the token's
 * own grant — or off nothing, for a token on no grant (client_credentials, workload jwt-bearer,
 * ID-JAG) — so no walk from a grant reaches them when only the token is revoked. Every revocation
 * of access tokens as such revokes them here, in its transaction:
 *   - RFC 7009 of one token (accessTokens.revoke / revokeWithDerived: endpoints/revoke.ts);
 *   - the bulk revocations of tokens on no grant: a deleted client's
 *     (accessTokens.revokeGrantlessByClient, clients/lifecycle.ts), a suspended agent's client's
 *     (grants.revokeByAgent) and a user's (grants.revokeByUser: what was exchanged from them is
 *     the user's, but a grant exchanged while the user's walk ran is caught only by this one).
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db-types.ts';
import { withTransaction, type RepoContext } from '../context.ts';
import { first } from '../statements.ts';
import { appendRevocationEvents } from './revocations.ts';
import { chunks, eventsOf, exchangedFromLiveGrantless, liveGrantlessJtis, lockSeeds, revokeLiveGrantless, revokeTreeRows, tokenEvents, type GrantlessOwner, type Revoked } from './tree-revocation.ts';

/**
 * RFC 7009 §2.1 revokes one access token; CO-1 wants everything derived from it gone too. One
 * transaction: the token row and the trees exchanged from it (`subject_token_jti = jti`: grants,
 * refresh and access tokens), also when the token was revoked before (a grant exchanged from it
 * in a race is caught), then all their revocation events at once.
 *
 * PostgreSQL lock order — revokeTree's for the token's own grant G (G's whole tree, these grants
 * included, then G's token rows, this one among them; the audit lock last) and issuance's (grant
 * ancestry, then the subject token, then the audit lock):
 *   1. G `for update`, when the token has a grant. An exchange of the token holds G `for share`
 *      (its ancestry) before it reads the token, and so does a refresh of a grant exchanged from
 *      it: this waits out those in flight, and later ones wait for this commit — no grant is
 *      exchanged from the token, nor refreshed under it, while the rest runs.
 *   2. The trees already exchanged from the token, `for update` in id order (lockSeeds).
 *   3. The token row. An exchange holds it `for share` until it commits (getForShare), so for a
 *      token on no grant the update waits out exchanges in flight, and the walk after it sees
 *      their grants; or the exchange reads the token revoked and writes nothing.
 *   4. The walk. With G locked it finds nothing new to lock; for a token on no grant it may lock
 *      grants exchanged between 2 and 3, whose refresh or exchange never waits for this token's
 *      row (only a bulk revocation of this very token, racing, could: PostgreSQL then aborts one,
 *      40P01, and /revoke retries). Then the events: the audit lock, which an issuer takes after
 *      its grant locks, so no grant is locked after it here.
 * SQLite serialises whole transactions (BEGIN IMMEDIATE).
 */
export function revokeWithDerived(ctx: RepoContext, jti: string, at: number, reason: string): Promise<{ revoked: boolean; revokedGrants: string[] }> {
  return withTransaction(ctx, async (db) => {
    const tx = { ...ctx, db, inTransaction: true };
    if (ctx.kind === 'postgres') {
      const token = await first<{ grant_id: string | null }>(tx, 'select grant_id from access_tokens where jti = ?', [jti]);
      if (token?.grant_id != null) await sql`select id from grants where id = ${token.grant_id} for update`.execute(db);
    }
    const derived = sql`subject_token_jti = ${jti}`;
    await lockSeeds(tx, db, derived);
    const row = await first<{ jti: string; expires_at: number }>(tx, 'update access_tokens set revoked_at = ? where jti = ? and revoked_at is null returning jti, expires_at', [at, jti]);
    const trees = await revokeTreeRows(tx, db, derived, at, reason);
    // The token's event first: unexpired only (tokenEvents), as every revocation's.
    await appendRevocationEvents(ctx, db, eventsOf({ grants: [], tokenEvents: tokenEvents(row ? [row] : [], at, reason), grantEvents: [] }, trees));
    return { revoked: row !== undefined, revokedGrants: trees.grants };
  });
}

/**
 * The live tokens on no grant `owner` selects (revokeLiveGrantless) and the trees exchanged from
 * them, inside the caller's transaction `db`; the events are returned for the caller to append
 * last. revokeWithDerived's order for a token on no grant: the trees already exchanged from those
 * tokens locked first, then the token rows (waiting out exchanges holding one `for share`), then
 * the walk seeded by the jtis just revoked. Callers that revoke more in the transaction, or whose
 * events may already hold the audit lock, take lockGrantlessRevocation first: these locks are
 * then theirs already. `tokens`: how many tokens this revoked.
 */
export async function revokeGrantlessWithDerived(ctx: RepoContext, db: Kysely<Database>, owner: GrantlessOwner, at: number, reason: string): Promise<Revoked & { tokens: number }> {
  await lockSeeds(ctx, db, exchangedFromLiveGrantless(db, owner, at));
  const rows = await revokeLiveGrantless(db, owner, at);
  const revoked: Revoked = { grants: [], tokenEvents: tokenEvents(rows, at, reason), grantEvents: [] };
  for (const part of chunks(rows.map((r) => r.jti))) {
    const trees = await revokeTreeRows(ctx, db, sql`subject_token_jti in (${sql.join(part)})`, at, reason);
    revoked.grants.push(...trees.grants);
    revoked.tokenEvents.push(...trees.tokenEvents);
    revoked.grantEvents.push(...trees.grantEvents);
  }
  return { ...revoked, tokens: rows.length };
}

/**
 * PostgreSQL, before any token update or event append of a revocation of the trees `seeds` select
 * together with the live tokens on no grant the `owners` select and what was exchanged from them
 * (a no-op on SQLite, which serialises whole transactions):
 *   1. every one of those trees, in one statement, id order (lockSeeds: each seed, and what was
 *      exchanged from each owner's tokens, one `union`ed anchor branch each, so each is read
 *      through its own index);
 *   2. those token rows, `for update`, jti order, in one statement that returns only their count
 *      (a big client's million jtis stay in the database): an exchange in flight holds its subject
 *      token `for share` (getForShare) and takes only the audit lock after it, which this
 *      transaction does not hold yet, so it commits first; a later one waits and then reads the
 *      token revoked;
 *   3. the trees exchanged from them once more: the grants those exchanges committed between 1
 *      and 2 (none can be exchanged from them after 2). Grants after token rows: whoever holds such
 *      a new grant `for share` (its refresh or exchange) waits for nothing this holds.
 * The revocation's own statements then lock no grant and no grant-less token this did not —
 * except a grant a concurrent authorization or issuance created after step 1 under one of the
 * revoked owners (a new tree of the client, agent or user), which the revocation's walk locks
 * later, possibly after an earlier revocation of the same transaction took the audit lock (client
 * deletion, deprovisioning's agents one by one). An issuer refreshing or exchanging under such a
 * new grant while it waits for that audit lock deadlocks with it: PostgreSQL aborts one (40P01),
 * and the victim's whole transaction runs again — issuance's (inTransaction retryOnDeadlock), and
 * the admin API's and RFC 7592's client deletion and the admin API's disable on the other side
 * (grants/shared/commit.ts); a caller without that retry answers 503 temporarily_unavailable.
 */
export async function lockGrantlessRevocation(ctx: RepoContext, db: Kysely<Database>, seeds: RawBuilder<unknown>[], owners: GrantlessOwner[], at: number): Promise<void> {
  if (ctx.kind !== 'postgres') return;
  const derived = owners.map((owner) => exchangedFromLiveGrantless(db, owner, at));
  await lockSeeds(ctx, db, [...seeds, ...derived]);
  await lockLiveGrantless(db, owners, at);
  await lockSeeds(ctx, db, derived);
}

/**
 * The live tokens on no grant the `owners` select, `for update`, jti order, one statement; only
 * their count comes back (PostgreSQL allows the locking clause in a sub-select in FROM). Several
 * owners: their jtis `union`ed, each branch on its own partial index (access_tokens_grantless_client,
 * access_tokens_grantless_user), never one `or` of them.
 */
async function lockLiveGrantless(db: Kysely<Database>, owners: GrantlessOwner[], at: number): Promise<void> {
  const [one, ...more] = owners.map((owner) => liveGrantlessJtis(db, owner, at));
  if (one === undefined) return;
  const jtis = more.length === 0 ? one : db.selectFrom('access_tokens').select('jti').where('jti', 'in', more.reduce((all, next) => all.union(next), one));
  await sql`select count(*) as n from ${jtis.orderBy('jti').forUpdate()} as s`.execute(db);
}

/**
 * The trees `seed` selects and the live tokens on no grant `owner` selects with the trees
 * exchanged from them (grants.revokeByAgent, grants.revokeByUser), one transaction: everything
 * locked up front (lockGrantlessRevocation), the trees, then the tokens and what was exchanged
 * from them, then all the events at once. Returns the grants revoked.
 */
export function revokeTreesWithGrantless(ctx: RepoContext, seed: RawBuilder<unknown>, owner: GrantlessOwner, at: number, reason: string): Promise<string[]> {
  return withTransaction(ctx, async (db) => {
    const tx = { ...ctx, db, inTransaction: true };
    await lockGrantlessRevocation(tx, db, [seed], [owner], at);
    const tree = await revokeTreeRows(tx, db, seed, at, reason);
    const grantless = await revokeGrantlessWithDerived(tx, db, owner, at, reason);
    await appendRevocationEvents(ctx, db, eventsOf(tree, grantless));
    return [...tree.grants, ...grantless.grants];
  });
}
