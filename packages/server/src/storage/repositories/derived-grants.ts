/**
 * CO-1 (migration 0016): a grant exchanged from one of our access tokens (RFC 8693) records that
 * token's jti (grants.subject_token_jti). A token is no grant: those trees hang off the token's
 * own grant — or off nothing, for a token on no grant (client_credentials, workload jwt-bearer,
 * ID-JAG) — so no walk from a grant reaches them when only the token is revoked. Every revocation
 * of access tokens as such revokes them here, in its transaction:
 *   - RFC 7009 of one token (accessTokens.revoke / revokeWithDerived: endpoints/revoke.ts);
 *   - the bulk revocations of tokens on no grant: a deleted client's
 *     (accessTokens.revokeGrantlessByClient, clients/lifecycle.ts) and a suspended agent's
 *     client's (grants.revokeByAgent).
 * A user's tokens on no grant (grants.revokeByUser) need no walk of their own: what was exchanged
 * from them is the user's (grants.user_id), so the user's walk reaches it.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db-types.ts';
import { withTransaction, type RepoContext } from '../context.ts';
import { first } from '../statements.ts';
import { appendRevocationEvents } from './revocations.ts';
import { chunks, eventsOf, liveGrantlessJtis, lockSeeds, revokeLiveGrantless, revokeTreeRows, tokenEvents, type GrantlessOwner, type Revoked } from './tree-revocation.ts';

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
 * the walk seeded by the jtis just revoked. `tokens`: how many tokens this revoked.
 */
export async function revokeGrantlessWithDerived(ctx: RepoContext, db: Kysely<Database>, owner: GrantlessOwner, at: number, reason: string): Promise<Revoked & { tokens: number }> {
  await lockSeeds(ctx, db, sql`subject_token_jti in (${liveGrantlessJtis(db, owner, at)})`);
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
